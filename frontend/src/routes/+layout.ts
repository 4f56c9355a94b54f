// A single-page app: the edge serves index.html for every page path and the browser renders it.
export const ssr = false;
export const prerender = false;
