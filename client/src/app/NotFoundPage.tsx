// Shown for any path the app does not know, instead of a blank page.
export function NotFoundPage({ path }: { path: string }) {
  return (
    <main className="page">
      <header className="masthead">
        <h1>Tessera</h1>
      </header>
      <section className="card">
        <h2>Page not found</h2>
        <p>
          There is no page at <code>{path}</code>. <a href="/">Go to the contribute page</a>.
        </p>
      </section>
    </main>
  );
}
