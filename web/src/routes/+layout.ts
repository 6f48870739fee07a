// A single-page app: no server rendering, no prerendering. adapter-static writes
// build/index.html as the fallback that serves every path.
export const ssr = false;
export const prerender = false;
