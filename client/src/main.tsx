// The client app's entry: picks the page by pathname. The coordinator serves index.html for
// every unknown path (SPA fallback), so the routing happens here. Each page is its own chunk,
// loaded on demand: a volunteer's tab does not download the charts and the submit forms.
import './app/zodWithoutEval';
import { StrictMode, Suspense, lazy, type ComponentType, type ReactElement } from 'react';
import { createRoot } from 'react-dom/client';
import { NotFoundPage } from './app/NotFoundPage';
import './styles.css';

const ContributePage = lazy(() =>
  import('./contribute/ContributePage').then((m) => ({ default: m.ContributePage })),
);
const DashboardPage = lazy(() =>
  import('./dashboard/DashboardPage').then((m) => ({ default: m.DashboardPage })),
);
const SubmitPage = lazy(() =>
  import('./submit/SubmitPage').then((m) => ({ default: m.SubmitPage })),
);
const WorkloadPage = lazy(() =>
  import('./workload/WorkloadPage').then((m) => ({ default: m.WorkloadPage })),
);

const PAGES: Record<string, ComponentType> = {
  '/': ContributePage,
  '/dashboard': DashboardPage,
  '/submit': SubmitPage,
};

function pageFor(pathname: string): ReactElement {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  const Page = PAGES[path];
  const workload = /^\/workloads\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  if (workload?.[1]) return <WorkloadPage id={workload[1]} />;
  return Page ? <Page /> : <NotFoundPage path={pathname} />;
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <Suspense fallback={null}>{pageFor(window.location.pathname)}</Suspense>
  </StrictMode>,
);
