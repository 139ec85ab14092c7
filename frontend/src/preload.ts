// The preloader: a few hundred bytes Home Assistant imports on every page, beside its own entry points
// (custom_components/spinstack/panel.py registers it with frontend.add_extra_js_url). On any other page it does
// nothing. On the panel's page it sends the panel's first requests as soon as the websocket is up, and imports the
// panel's bundle at once, so the bundle is fetched and evaluated while Home Assistant's frontend boots instead of
// after it (Home Assistant's own import of the same address then finds the module ready). The bundle's address is
// this file's sibling with this file's query (the version), exactly the module_url panel.py registers.
import { onPanelPage, prefetch } from "./prefetch.js";

if (onPanelPage()) {
  performance.mark("spinstack-preload");
  prefetch();
  const here = new URL(import.meta.url);
  import(new URL(`spinstack-panel.js${here.search}`, here).href).catch(() => undefined);
}
