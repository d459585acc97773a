import { CreateHumanTaskUiCommand, RenderUiTemplateCommand } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

let emu: EmulatorProcess;
let sm: ReturnType<typeof clients>['sagemaker'];

beforeAll(async () => {
  emu = await startEmulatorProcess();
  sm = clients(emu.url).sagemaker;
}, 60_000);
afterAll(async () => emu?.stop());

const TEMPLATE = `<crowd-form><p>{{ task.input.text }}</p><p>{{ task.input.text | escape }}</p><div>{{ task.input.html | skip_autoescape }}</div>
<script>var input = {{ task.input | to_json }};</script>{% for l in task.input.labels %}<crowd-radio-button name="{{ l }}">{{ l | upcase }}</crowd-radio-button>{% endfor %}<img src="{{ task.input.image | grant_read_access }}"></crowd-form>`;

describe('RenderUiTemplate', () => {
  it('renders a Liquid worker template with the task input, escaping by default', async () => {
    const input = { text: 'Is "this" <spam> & junk?', html: '<b>bold</b>', labels: ['yes', 'no'], image: 's3://hitl/cat.jpg' };
    const out = await sm.send(new RenderUiTemplateCommand({ UiTemplate: { Content: TEMPLATE }, Task: { Input: JSON.stringify(input) }, RoleArn: ROLE }));
    expect(out.Errors).toEqual([]);
    const escaped = 'Is &#34;this&#34; &lt;spam&gt; &amp; junk?';
    expect(out.RenderedContent).toBe(
      `<crowd-form><p>${escaped}</p><p>${escaped}</p><div><b>bold</b></div>\n<script>var input = ${JSON.stringify(input)};</script>` +
        '<crowd-radio-button name="yes">YES</crowd-radio-button><crowd-radio-button name="no">NO</crowd-radio-button><img src="s3://hitl/cat.jpg"></crowd-form>',
    );
  });

  it('renders a human task UI by ARN', async () => {
    const arn = (await sm.send(new CreateHumanTaskUiCommand({ HumanTaskUiName: 'review-ui', UiTemplate: { Content: '<h1>{{ task.input.title }}</h1>' } }))).HumanTaskUiArn!;
    const out = await sm.send(new RenderUiTemplateCommand({ HumanTaskUiArn: arn, Task: { Input: '{"title":"Check"}' }, RoleArn: ROLE }));
    expect([out.RenderedContent, out.Errors]).toEqual(['<h1>Check</h1>', []]);
    const missing = await rejection(sm.send(new RenderUiTemplateCommand({ HumanTaskUiArn: arn.replace('review-ui', 'nope'), Task: { Input: '{}' }, RoleArn: ROLE })));
    expect([missing.name, missing.message]).toEqual(['ResourceNotFound', `Human task UI ${arn.replace('review-ui', 'nope')} does not exist.`]);
  });

  it('reports a broken template or input in Errors, and refuses a request naming no template or two', async () => {
    const broken = await sm.send(new RenderUiTemplateCommand({ UiTemplate: { Content: '{% if %}x{% endif %}' }, Task: { Input: '{}' }, RoleArn: ROLE }));
    expect(broken.RenderedContent).toBe('');
    expect(broken.Errors).toHaveLength(1);
    expect(broken.Errors![0].Code).toBe('TemplateError');
    const filter = await sm.send(new RenderUiTemplateCommand({ UiTemplate: { Content: '{{ task.input | no_such_filter }}' }, Task: { Input: '{}' }, RoleArn: ROLE }));
    expect(filter.Errors![0]).toMatchObject({ Code: 'TemplateError', Message: expect.stringContaining('undefined filter: no_such_filter') });
    const badInput = await sm.send(new RenderUiTemplateCommand({ UiTemplate: { Content: 'x' }, Task: { Input: '{not json' }, RoleArn: ROLE }));
    expect(badInput.Errors![0].Code).toBe('InvalidTaskInput');
    const neither = await rejection(sm.send(new RenderUiTemplateCommand({ Task: { Input: '{}' }, RoleArn: ROLE })));
    expect([neither.name, neither.message]).toEqual(['ValidationException', 'Specify exactly one of UiTemplate and HumanTaskUiArn.']);
  });
});
