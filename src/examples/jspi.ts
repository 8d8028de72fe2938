/**
 * Feature detection shared by the runner (Node and browser worker) and the page script, which
 * must not import the runner itself.
 */

/**
 * Whether this JavaScript engine has WebAssembly JavaScript Promise Integration (JSPI), which
 * Pyodide needs for `callPromising` and so for `asyncio.run()` (Pyodide: "JavaScript Promise
 * Integration", https://pyodide.org/en/stable/usage/api/js-api.html). Pyodide accepts the current
 * API (`WebAssembly.Suspending`) and the older one (`WebAssembly.Suspender`); so do we.
 */
export const STACK_SWITCHING: boolean = 'Suspending' in WebAssembly || 'Suspender' in WebAssembly;
