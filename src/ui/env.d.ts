// esbuild bundles the stylesheets that modules import into app.css.
declare module '*.css';
