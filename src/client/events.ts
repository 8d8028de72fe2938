/**
 * Names of the DOM events the Run buttons dispatch, in a module of their own so that page scripts
 * (exercises) can listen for them without loading the run session.
 */

/**
 * Dispatched on an example's `div.example` (bubbling) when a run has ended and its output panel
 * shows the end; `detail` is an `ExampleFinishedDetail` (src/client/session.ts).
 */
export const EXAMPLE_FINISHED = 'example:finished';
