/**
 * The anywidget entry point of the Neo inbox, bundled into neo_notebook/static/inbox.js.
 *
 * Only the default export: anywidget treats a module that also exports `render` as the
 * deprecated pre-0.9 form.
 */

import type { AnyWidget } from "@anywidget/types";
import type { InboxModel } from "./inbox-model";
import { render } from "./inbox-panel";
import "./inbox.css";

export default { render } satisfies AnyWidget<InboxModel>;
