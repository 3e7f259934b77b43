// One headline figure with a caption under it, Grafana's "stat" panel.
import type { ReactNode } from 'react';

export function StatTile(props: {
  title: string;
  value: ReactNode;
  caption?: ReactNode;
  testId?: string;
  children?: ReactNode;
}) {
  return (
    <section className="panel stat" aria-label={props.title}>
      <h2 className="panel-title">{props.title}</h2>
      <p className="stat-value" data-testid={props.testId}>
        {props.value}
      </p>
      {props.caption !== undefined && <p className="stat-caption">{props.caption}</p>}
      {props.children}
    </section>
  );
}
