import { Link } from "react-router";
import { RelativeTime } from "@/components/ui";
import { configHref, formatAbsolute } from "@/lib";
import { ServiceActionButton } from "@/features/deployments";
import { itemTarget, stringListParam, stringParam } from "@/features/drift/model";
import type { DriftItem, DriftRemedy } from "@/features/drift/types";
import { DriftJobButton } from "./drift-job-button";

function Side({ title, value }: { title: string; value: string | null | undefined }) {
  return (
    <div className="flex min-w-0 flex-col gap-1 rounded border border-zinc-200 p-2 dark:border-zinc-700">
      <h4 className="text-xs font-semibold text-zinc-700 uppercase dark:text-zinc-300">{title}</h4>
      {value ? (
        <code className="font-mono text-xs break-all whitespace-pre-wrap">{value}</code>
      ) : (
        <span className="text-xs text-zinc-600 italic dark:text-zinc-400">{title === "Desired" ? "not desired" : "not running"}</span>
      )}
    </div>
  );
}

/** A config.rollback remedy needs a plan: it links to the config's page, which proposes it. */
function configRollbackHref(params: Record<string, unknown>): string | null {
  const domain = stringParam(params, "domain");
  const name = stringParam(params, "name");
  const revision = stringParam(params, "target_revision");
  if (!domain || !name || !revision) return null;
  const href = configHref(domain, name, stringParam(params, "scope") ?? "platform");
  return `${href}${href.includes("?") ? "&" : "?"}rollback=${encodeURIComponent(revision)}`;
}

/** One remedy as the button that opens its usual job flow, its parameters prefilled. */
export function RemedyButton({ item, remedy }: { item: DriftItem; remedy: DriftRemedy }) {
  const service = stringParam(remedy.params, "service") ?? item.service;
  const variant = remedy.danger ? "danger" : remedy.kind === "reapply" ? "primary" : "secondary";
  switch (remedy.job_kind) {
    case "service.deploy":
      return (
        <ServiceActionButton
          size="sm"
          action="deploy"
          service={service}
          currentImage={item.observed}
          prefillImage={stringParam(remedy.params, "image")}
          label={remedy.label}
        />
      );
    case "service.rollback":
      return <ServiceActionButton size="sm" action="rollback" service={service} label={remedy.label} />;
    case "drift.reapply":
      return (
        <DriftJobButton
          target={{ action: "reapply", itemId: item.id, service, danger: remedy.danger ?? false }}
          label={remedy.label}
          variant={variant}
          description={`Makes what runs what is desired for ${itemTarget(item)} (${item.field}): ${item.detail}.`}
        />
      );
    case "drift.adopt":
      return (
        <DriftJobButton
          target={{ action: "adopt", itemId: item.id }}
          label={remedy.label}
          variant={variant}
          description={`Records what runs (${item.observed ?? "nothing"}) as the desired ${item.field} of ${item.service}. Nothing in the Swarm changes.`}
        />
      );
    case "config.reload": {
      const services = stringListParam(remedy.params, "services");
      return (
        <DriftJobButton
          target={{ action: "reload", services: services.length > 0 ? services : [item.instance ?? item.service] }}
          label={remedy.label}
          variant={variant}
          description="Asks the instances to reload their config from the registry."
        />
      );
    }
    case "config.rollback": {
      const href = configRollbackHref(remedy.params);
      return href ? (
        <Link to={href} className="inline-flex h-7 items-center rounded-md border border-zinc-300 px-2 text-xs font-medium hover:bg-zinc-100 dark:border-zinc-600 dark:hover:bg-zinc-700">
          {remedy.label}…
        </Link>
      ) : (
        <span className="text-xs">{remedy.label} (its config is not named)</span>
      );
    }
    default:
      return (
        <span className="text-xs text-zinc-700 dark:text-zinc-300">
          {remedy.label} (job kind <code className="font-mono">{remedy.job_kind}</code>: start it from Jobs)
        </span>
      );
  }
}

/** The selected item: both sides, since when, its remedies and its acknowledgement. */
export function DriftItemPanel({ item }: { item: DriftItem }) {
  const ack = item.acknowledged;
  return (
    <section
      aria-label="Drift item"
      className="flex flex-col gap-3 rounded-lg border border-zinc-200 bg-white p-3 dark:border-zinc-800 dark:bg-zinc-900"
    >
      <h2 className="text-sm font-semibold">
        {item.category} · {itemTarget(item)} · <code className="font-mono text-xs">{item.field}</code>
      </h2>
      <p className="text-sm">{item.detail}</p>
      <section aria-label="Desired vs observed" className="grid grid-cols-1 gap-2 md:grid-cols-2">
        <Side title="Desired" value={item.desired} />
        <Side title="Observed" value={item.observed} />
      </section>
      <p className="text-xs text-zinc-700 dark:text-zinc-300">
        First seen <RelativeTime value={item.first_seen} />, at {formatAbsolute(item.first_seen)}; last seen{" "}
        <RelativeTime value={item.last_seen} />
        {item.stack ? ` · stack ${item.stack}` : ""}
      </p>
      {ack ? (
        <p role="note" className="rounded border border-zinc-300 bg-zinc-50 p-2 text-sm dark:border-zinc-700 dark:bg-zinc-950">
          Acknowledged by {ack.by} <RelativeTime value={ack.at} />, until {formatAbsolute(ack.expires_at)}: {ack.reason}
        </p>
      ) : null}
      <div role="group" aria-label="Remedies" className="flex flex-wrap items-center gap-2">
        {(item.remedies ?? []).map((remedy) => (
          <RemedyButton key={`${remedy.job_kind}-${remedy.label}`} item={item} remedy={remedy} />
        ))}
        {ack ? null : (
          <DriftJobButton
            target={{ action: "acknowledge", itemId: item.id }}
            label="Acknowledge"
            description={`Keeps ${itemTarget(item)} listed, marked acknowledged, and out of the open counts until it expires.`}
          />
        )}
        {(item.remedies ?? []).length === 0 ? <span className="text-xs">No remedy is offered for this item.</span> : null}
      </div>
    </section>
  );
}
