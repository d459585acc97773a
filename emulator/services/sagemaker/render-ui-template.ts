/**
 * RenderUiTemplate: a worker task template (Liquid, as Ground Truth and Augmented AI use it)
 * rendered with a task's input, for a preview. The template variables are `task.input` (the
 * parsed Task.Input JSON); output is HTML-escaped unless a filter says otherwise, and the custom
 * filters are those of the Ground Truth custom template reference: escape, escape_once,
 * skip_autoescape, to_json and grant_read_access. grant_read_access would presign an S3 URI on AWS;
 * here the URI is left as it is (nothing here signs for a browser). A template that does not parse or
 * render, or a Task.Input that is not JSON, comes back in Errors, not as a failed call.
 */
import type { Liquid } from 'liquidjs';
import type { RequestContext } from '../../protocol/context.js';
import { resourceNotFound, validation } from '../../protocol/errors.js';
import type { ServiceDeps } from '../deps.js';
import { scopeOf } from './scope.js';

type Doc = Record<string, any>;

// Explicit escapes do not escape twice; skip_autoescape and to_json write their value as it is.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
const escapeHtml = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** The Liquid engine, loaded on the first render: most runs never render a template. */
let engine: Promise<Liquid> | undefined;
function liquid(): Promise<Liquid> {
  return (engine ??= import('liquidjs').then(({ Liquid: Engine }) => {
    const e = new Engine({ outputEscape: 'escape', strictFilters: true, ownPropertyOnly: true });
    e.registerFilter('escape', { handler: escapeHtml, raw: true });
    e.registerFilter('escape_once', { handler: (v: unknown) => escapeHtml(String(v ?? '').replace(/&(amp|lt|gt|quot|#34|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#34': '"', '#39': "'" })[e]!)), raw: true });
    e.registerFilter('skip_autoescape', { handler: (v: unknown) => v, raw: true });
    e.registerFilter('to_json', { handler: (v: unknown) => JSON.stringify(v ?? null), raw: true });
    e.registerFilter('grant_read_access', (v: unknown) => v);
    return e;
  }));
}

export async function renderUiTemplate(deps: ServiceDeps, req: Doc, ctx: RequestContext): Promise<unknown> {
  if (!!req.UiTemplate === !!req.HumanTaskUiArn) throw validation('Specify exactly one of UiTemplate and HumanTaskUiArn.');
  let content: string;
  if (req.HumanTaskUiArn) {
    const hit = deps.db.byArn(String(req.HumanTaskUiArn));
    const ui = hit?.kind === 'engine:HumanTaskUi' ? deps.db.get<{ input: Doc }>(scopeOf(ctx), hit.kind, hit.name)?.data : undefined;
    if (!ui) throw resourceNotFound(`Human task UI ${req.HumanTaskUiArn} does not exist.`);
    content = String(ui.input.UiTemplate?.Content ?? '');
  } else {
    content = String(req.UiTemplate.Content);
  }
  let input: unknown;
  try {
    input = JSON.parse(String(req.Task.Input));
  } catch (e) {
    return { RenderedContent: '', Errors: [{ Code: 'InvalidTaskInput', Message: `Task.Input is not valid JSON: ${(e as Error).message}` }] };
  }
  try {
    const rendered = await (await liquid()).parseAndRender(content, { task: { input } });
    return { RenderedContent: rendered, Errors: [] };
  } catch (e) {
    return { RenderedContent: '', Errors: [{ Code: 'TemplateError', Message: (e as Error).message }] };
  }
}
