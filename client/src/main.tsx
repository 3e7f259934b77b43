// The client app's entry: picks the page by pathname. The coordinator serves index.html for
// every unknown path (SPA fallback), so the routing happens here. Pages to come: '/dashboard',
// '/submit'.
import { StrictMode, type ReactElement } from 'react';
import { createRoot } from 'react-dom/client';
import { NotFoundPage } from './app/NotFoundPage';
import { ContributePage } from './contribute/ContributePage';
import { DashboardPage } from './dashboard/DashboardPage';
import { SubmitPage } from './submit/SubmitPage';
import { WorkloadPage } from './workload/WorkloadPage';
import './styles.css';

const PAGES: Record<string, () => ReactElement> = {
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
createRoot(root).render(<StrictMode>{pageFor(window.location.pathname)}</StrictMode>);
