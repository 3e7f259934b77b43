// Headless Chromium with WebGPU on SwiftShader, for benchmarks: launches the system chromium
// through Playwright and serves a blank page plus TypeScript modules (transpiled on request)
// from a loopback HTTP server, so code in the page imports the project's own sources.
// http://127.0.0.1 is a secure context, which WebGPU requires.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from '@playwright/test';
import ts from 'typescript';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/chromiumLaunch';

export { CHROMIUM_ARGS, CHROMIUM_PATH };

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
/** Only these folders are served: the page needs the shared sources and the bench's own. */
const SERVED_ROOTS = ['shared/src', 'scripts/bench'].map((dir) => join(REPO_ROOT, dir) + sep);

async function serveModule(urlPath: string): Promise<string | undefined> {
  const withoutJs = urlPath.replace(/\.js$/, '');
  const file = resolve(REPO_ROOT, `.${withoutJs}${withoutJs.endsWith('.ts') ? '' : '.ts'}`);
  if (!SERVED_ROOTS.some((root) => file.startsWith(root))) return undefined;
  const source = await readFile(file, 'utf8').catch(() => undefined);
  if (source === undefined) return undefined;
  return ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
    fileName: file,
  }).outputText;
}

export interface ChromiumPage {
  page: Page;
  /** URL of a project source file (path from the repository root) as the page imports it. */
  moduleUrl(pathFromRoot: string): string;
  /**
   * Calls the function `name` that a project module (path from the repository root) exports,
   * in the page, with `args` (JSON values): what it resolves to, as JSON carries it.
   */
  call<T>(pathFromRoot: string, name: string, args: readonly unknown[]): Promise<T>;
  close(): Promise<void>;
}

/** A typed array's bytes (or those of part of one) as base64, to pass into the page. */
export function base64Of(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
}

/** Float32 values the page passed out as base64. */
export function float32sOfBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}

export async function openChromiumPage(): Promise<ChromiumPage> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><meta charset="utf-8"><title>tessera bench</title>');
      return;
    }
    serveModule(path).then(
      (code) => {
        response.writeHead(code === undefined ? 404 : 200, { 'content-type': 'text/javascript' });
        response.end(code ?? '');
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String(error));
      },
    );
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    const openedBrowser = browser;
    const moduleUrl = (pathFromRoot: string) => `${origin}/${pathFromRoot.replace(/\.ts$/, '.js')}`;
    return {
      page,
      moduleUrl,
      async call<T>(pathFromRoot: string, name: string, args: readonly unknown[]) {
        const url = JSON.stringify(moduleUrl(pathFromRoot));
        const list = args.map((arg) => JSON.stringify(arg)).join(', ');
        // A string, not a function: tsx (esbuild keepNames) wraps functions in __name() calls
        // that do not exist in the page.
        return (await page.evaluate(`import(${url}).then((m) => m.${name}(${list}))`)) as T;
      },
      async close() {
        await openedBrowser.close();
        server.close();
      },
    };
  } catch (error) {
    await browser?.close();
    server.close();
    throw error;
  }
}
