import { unsafeCSS } from "lit";
// The stylesheet is plain CSS, minified by esbuild at build time (see build.mjs) and adopted by the shadow root.
import cssText from "./panel.css";

export const styles = unsafeCSS(cssText);
