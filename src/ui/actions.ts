// What the dashboard can be asked to do: the keymap produces these, the UI reducer and the root component consume them.

export type ReplayAction = { type: 'replay-toggle' } | { type: 'replay-step'; delta: number } | { type: 'replay-speed'; factor: number };

export type Action =
  | { type: 'move'; delta: number }
  | { type: 'resume'; runId: string }
  /** C: ask the run to cut over (the follower, here or elsewhere, sees it in the log; a stopped run is resumed) */
  | { type: 'cutover'; runId: string }
  | { type: 'ask-wipe'; runId: string }
  | { type: 'confirm-wipe'; runId: string }
  | { type: 'cancel' }
  /** quit while this process copies: asked first; `key` names what was pressed, for the record */
  | { type: 'ask-quit'; key: string }
  | { type: 'confirm-quit'; key: string }
  | { type: 'toggle-log' }
  | { type: 'scroll'; delta: number }
  | { type: 'quit' }
  | ReplayAction;
