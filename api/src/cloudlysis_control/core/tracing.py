"""OpenTelemetry server spans, named by route template.

The request pipeline parses W3C trace context itself (core.identity) and hands the parent to OTel,
so there is one parser and no per-request receive/send spans. Without an exporter no spans are
recorded at all: ids are still minted and propagated, which is what correlation needs.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.status import Status, StatusCode

from cloudlysis_control.core.identity import KNOWN_TRACE_FLAGS, RequestIdentity


class Tracing:
    def __init__(self, provider: TracerProvider | None) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("cloudlysis_control") if provider else None

    @classmethod
    def from_settings(
        cls,
        otlp_endpoint: str | None,
        sample_ratio: float,
        service_version: str,
        extra_processor: SpanProcessor | None = None,
    ) -> Tracing:
        if otlp_endpoint is None and extra_processor is None:
            return cls(None)
        provider = TracerProvider(
            sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
            resource=Resource.create(
                {"service.name": "control-api", "service.version": service_version}
            ),
        )
        if otlp_endpoint is not None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint}/v1/traces"))
            )
        if extra_processor is not None:
            provider.add_span_processor(extra_processor)
        return cls(provider)

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    def start_server_span(self, ident: RequestIdentity, method: str) -> Any:
        """Start the request's span and adopt its span id into the identity."""
        if self._tracer is None:
            return None
        ctx = None
        if ident.parent_span_id is not None:
            parent = SpanContext(
                trace_id=int(ident.trace_id, 16),
                span_id=int(ident.parent_span_id, 16),
                is_remote=True,
                trace_flags=TraceFlags(ident.trace_flags),
            )
            ctx = trace.set_span_in_context(NonRecordingSpan(parent))
        span = self._tracer.start_span(method, context=ctx, kind=SpanKind.SERVER)
        sc = span.get_span_context()
        ident.trace_id = format(sc.trace_id, "032x")
        ident.span_id = format(sc.span_id, "016x")
        # sampled and random-trace-id (OTel keeps the parent's random flag, and sets it on a new
        # trace from its random id generator); reserved bits are never propagated.
        ident.trace_flags = int(sc.trace_flags) & KNOWN_TRACE_FLAGS
        return span

    @staticmethod
    def end_server_span(span: Any, method: str, route: str, status: int) -> None:
        if span is None:
            return
        span.update_name(f"{method} {route}")
        span.set_attribute("http.request.method", method)
        span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()
