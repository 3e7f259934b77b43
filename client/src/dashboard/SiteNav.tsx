// The links between the app's pages, shown in the dashboard and workload page headers.
export function SiteNav({ current }: { current: string }) {
  const links = [
    ['/', 'Contribute'],
    ['/dashboard', 'Dashboard'],
    ['/submit', 'Submit'],
  ] as const;
  return (
    <nav className="site-nav" aria-label="Pages">
      {links.map(([href, label]) => (
        <a key={href} href={href} aria-current={href === current ? 'page' : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}
