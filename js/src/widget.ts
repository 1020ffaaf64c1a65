/**
 * The anywidget entry point, bundled into neo_notebook/static/widget.js.
 *
 * Only the default export: anywidget treats a module that also exports `render` as the
 * deprecated pre-0.9 form.
 */

import type { AnyWidget } from "@anywidget/types";
import type { Model } from "./model";
import { render } from "./panel";
import "./widget.css";

export default { render } satisfies AnyWidget<Model>;
