// The varied application schema added next to pgbench: enums, jsonb, bytea, partitions, foreign keys, a no-key table.

/** SQL statements for an app schema whose size grows linearly with f (the pgbench scale): ≈ 7.4 MB per unit. */
export function appSchemaSql(f: number): string[] {
  const n = (per: number): number => Math.max(1, Math.round(per * f));
  const customers = n(1_700);
  const products = n(200);
  const orders = n(6_800);
  const items = n(17_000);
  const events = n(8_500);
  const docs = n(100);
  const audit = n(5_000);
  return [
    `CREATE SCHEMA app`,
    `CREATE TYPE app.order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled', 'refunded')`,
    `CREATE TYPE app.tier AS ENUM ('free', 'pro', 'enterprise')`,
    `CREATE SEQUENCE app.invoice_no START 1000 INCREMENT 7`,
    `CREATE SEQUENCE app.never_used`,
    `CREATE TABLE app.customers (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       email text NOT NULL,
       name text NOT NULL,
       tier app.tier NOT NULL DEFAULT 'free',
       profile jsonb NOT NULL,
       created_at timestamptz NOT NULL)`,
    `CREATE TABLE app.products (
       id serial PRIMARY KEY,
       sku text NOT NULL,
       title text NOT NULL,
       price numeric(10, 2) NOT NULL CHECK (price >= 0),
       attrs jsonb,
       tags text[])`,
    `CREATE TABLE app.orders (
       id bigserial PRIMARY KEY,
       customer_id bigint NOT NULL,
       status app.order_status NOT NULL,
       history app.order_status[],
       total numeric(12, 2) NOT NULL,
       invoice bigint DEFAULT nextval('app.invoice_no'),
       placed_at timestamptz NOT NULL,
       note text)`,
    `CREATE TABLE app.order_items (
       order_id bigint NOT NULL,
       line int NOT NULL,
       product_id int NOT NULL,
       qty int NOT NULL,
       price numeric(10, 2) NOT NULL,
       PRIMARY KEY (order_id, line))`,
    `CREATE TABLE app.events (
       id bigint NOT NULL,
       created_at timestamptz NOT NULL,
       customer_id bigint NOT NULL,
       kind text NOT NULL,
       payload jsonb NOT NULL,
       PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)`,
    ...Array.from({ length: 6 }, (_, i) => {
      const from = `2024-${String(2 * i + 1).padStart(2, '0')}-01`;
      const to = i === 5 ? '2025-01-01' : `2024-${String(2 * i + 3).padStart(2, '0')}-01`;
      return `CREATE TABLE app.events_p${i} PARTITION OF app.events FOR VALUES FROM ('${from}') TO ('${to}')`;
    }),
    `CREATE TABLE app.documents (
       id serial PRIMARY KEY,
       owner_id bigint NOT NULL,
       name text NOT NULL,
       body bytea NOT NULL,
       sha text NOT NULL)`,
    `CREATE TABLE app.audit_log (at timestamptz NOT NULL, actor text, action text NOT NULL, detail jsonb)`,

    `INSERT INTO app.customers (email, name, tier, profile, created_at)
     SELECT 'user' || i || '@example.org', 'Customer ' || i || ' ' || md5(i::text),
            (ARRAY['free', 'pro', 'enterprise']::app.tier[])[1 + i % 3],
            jsonb_build_object('age', 18 + i % 60, 'city', 'City ' || i % 500, 'newsletter', i % 2 = 0,
                               'prefs', jsonb_build_object('lang', (ARRAY['en', 'de', 'fr', 'ja'])[1 + i % 4], 'theme', 'dark'),
                               'bio', repeat(md5(i::text), 3)),
            timestamptz '2020-01-01 00:00:00+00' + i * interval '17 minutes'
       FROM generate_series(1, ${customers}) i`,
    `INSERT INTO app.products (sku, title, price, attrs, tags)
     SELECT 'SKU-' || lpad(i::text, 8, '0'), 'Product ' || i || ' é ü 表', (i % 1000) + 0.99,
            jsonb_build_object('color', (ARRAY['red', 'green', 'blue'])[1 + i % 3], 'weight', i % 97, 'dims', jsonb_build_array(i % 10, i % 20, i % 30)),
            ARRAY['tag' || i % 7, 'tag' || i % 11]
       FROM generate_series(1, ${products}) i`,
    `INSERT INTO app.orders (customer_id, status, history, total, placed_at, note)
     SELECT 1 + (i::bigint * 7919) % ${customers}, (ARRAY['pending', 'paid', 'shipped', 'cancelled', 'refunded']::app.order_status[])[1 + i % 5],
            ARRAY['pending', 'paid']::app.order_status[], (i % 10000) / 7.0,
            timestamptz '2023-01-01 00:00:00+00' + i * interval '41 seconds',
            CASE WHEN i % 3 = 0 THEN NULL ELSE 'note ' || md5(i::text) END
       FROM generate_series(1, ${orders}) i`,
    `INSERT INTO app.order_items (order_id, line, product_id, qty, price)
     SELECT 1 + (i - 1) / 3 % ${orders}, 1 + (i - 1) % 3 + 3 * ((i - 1) / (3 * ${orders})), 1 + i % ${products}, 1 + i % 5, (i % 500) + 0.5
       FROM generate_series(1, ${items}) i`,
    `INSERT INTO app.events (id, created_at, customer_id, kind, payload)
     SELECT i, timestamptz '2024-01-01 00:00:00+00' + ((i::bigint * 7919) % 525600) * interval '1 minute', 1 + i % ${customers},
            (ARRAY['login', 'view', 'click', 'purchase'])[1 + i % 4],
            jsonb_build_object('session', md5(i::text), 'path', '/p/' || i % 1000, 'ms', i % 3000, 'ok', i % 9 <> 0)
       FROM generate_series(1, ${events}) i`,
    // half the documents incompressible (random-looking bytes), half repetitive (compressed in TOAST)
    `INSERT INTO app.documents (owner_id, name, body, sha)
     SELECT 1 + i % ${customers}, 'doc-' || i || '.bin',
            CASE WHEN i % 2 = 0
                 THEN (SELECT string_agg(decode(md5(i::text || ':' || g), 'hex'), ''::bytea) FROM generate_series(1, 256) g)
                 ELSE decode(repeat(md5(i::text), 512), 'hex') END,
            md5(i::text)
       FROM generate_series(1, ${docs}) i`,
    `INSERT INTO app.audit_log (at, actor, action, detail)
     SELECT timestamptz '2024-06-01 00:00:00+00' + (i % 86400) * interval '1 second', 'actor' || i % 50,
            (ARRAY['insert', 'update', 'delete'])[1 + i % 3],
            CASE WHEN i % 4 = 0 THEN NULL ELSE jsonb_build_object('row', i, 'diff', md5(i::text)) END
       FROM generate_series(1, ${audit}) i`,
    // duplicate rows in the no-key table: a clone must keep both
    `INSERT INTO app.audit_log SELECT * FROM app.audit_log WHERE action = 'delete' AND actor = 'actor7'`,
    `SELECT setval('app.invoice_no', (SELECT max(invoice) FROM app.orders) + 7)`,

    `CREATE UNIQUE INDEX customers_email ON app.customers (email)`,
    `CREATE INDEX customers_name_lower ON app.customers (lower(name))`,
    `CREATE INDEX customers_created ON app.customers (created_at)`,
    `CREATE UNIQUE INDEX products_sku ON app.products (sku)`,
    `CREATE INDEX products_attrs ON app.products USING gin (attrs)`,
    `CREATE INDEX orders_customer ON app.orders (customer_id)`,
    `CREATE INDEX orders_placed ON app.orders (placed_at)`,
    `CREATE INDEX orders_open ON app.orders (placed_at) WHERE status IN ('pending', 'paid')`,
    `CREATE INDEX order_items_product ON app.order_items (product_id)`,
    `CREATE INDEX events_customer ON app.events (customer_id, created_at)`,
    `CREATE INDEX events_kind ON app.events (kind)`,
    `CREATE INDEX documents_owner ON app.documents (owner_id)`,
    `CREATE INDEX audit_log_at ON app.audit_log (at)`,
    `CREATE INDEX audit_log_actor ON app.audit_log (actor, action)`,
    `ALTER TABLE app.orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES app.customers (id)`,
    `ALTER TABLE app.order_items ADD CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES app.orders (id) ON DELETE CASCADE`,
    `ALTER TABLE app.order_items ADD CONSTRAINT order_items_product_fk FOREIGN KEY (product_id) REFERENCES app.products (id)`,
    `ALTER TABLE app.events ADD CONSTRAINT events_customer_fk FOREIGN KEY (customer_id) REFERENCES app.customers (id)`,
    `ALTER TABLE app.documents ADD CONSTRAINT documents_owner_fk FOREIGN KEY (owner_id) REFERENCES app.customers (id)`,
    `CREATE VIEW app.open_orders AS SELECT id, customer_id, total FROM app.orders WHERE status IN ('pending', 'paid')`,
    `COMMENT ON TABLE app.audit_log IS 'no primary key on purpose'`,
  ];
}
