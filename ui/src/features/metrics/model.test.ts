import { describe, expect, it } from "vitest";
import { alignSeries, bandsWithin, formatValue, hasSamples, lastValue, rangeLabel, seriesName } from "./model";

describe("formatValue", () => {
  it("writes each unit the way an operator reads it", () => {
    expect(formatValue("reqps", 12.345)).toBe("12.3 req/s");
    expect(formatValue("reqps", 0.5)).toBe("0.5 req/s");
    expect(formatValue("reqps", 15300)).toBe("15.3k req/s");
    expect(formatValue("ratio", 0.0123)).toBe("1.2 %");
    expect(formatValue("ratio", 0.00042)).toBe("0.04 %");
    expect(formatValue("ratio", 0)).toBe("0 %");
    expect(formatValue("seconds", 0.3401)).toBe("340 ms");
    expect(formatValue("seconds", 0.0042)).toBe("4.2 ms");
    expect(formatValue("seconds", 2.5)).toBe("2.5 s");
    expect(formatValue("seconds", 0.0000125)).toBe("13 µs");
    expect(formatValue("bytes", 2.5 * 1024 * 1024)).toBe("2.5 MiB");
    expect(formatValue("count", 42)).toBe("42");
    expect(formatValue("count", null)).toBe("—");
    expect(formatValue("count", Number.NaN)).toBe("—");
  });
});

describe("seriesName", () => {
  it("names a series by the legend's labels, else by all its labels", () => {
    expect(seriesName({ service: "aggregate", version: "1.4.2", job: "x" }, "service version")).toBe("aggregate 1.4.2");
    expect(seriesName({ service: "aggregate" }, "service version")).toBe("aggregate");
    expect(seriesName({ a: "1", b: "2" }, "instance")).toBe("a=1, b=2");
    expect(seriesName({}, "instance", 2)).toBe("series 3");
  });
});

describe("alignSeries", () => {
  it("puts every series on one time axis, with gaps as null (never zero)", () => {
    const aligned = alignSeries([
      { labels: { s: "a" }, points: [[10, 1], [20, 2], [30, null]] },
      { labels: { s: "b" }, points: [[20, 5], [40, 6]] },
    ]);
    expect(aligned).toEqual([
      [10, 20, 30, 40],
      [1, 2, null, null],
      [null, 5, null, 6],
    ]);
    expect(lastValue(aligned[1]!)).toBe(2);
    expect(lastValue([null, null])).toBeNull();
  });

  it("tells data from an answer without samples", () => {
    expect(hasSamples([{ labels: {}, points: [[1, null]] }])).toBe(false);
    expect(hasSamples([{ labels: {}, points: [[1, 0]] }])).toBe(true);
    expect(hasSamples([])).toBe(false);
  });
});

describe("bandsWithin", () => {
  it("keeps the marks that overlap the window, clipped to it", () => {
    const bands = [
      { from: 0, to: 50, label: "old" },
      { from: 90, to: 120, label: "edge" },
      { from: 150, to: 140, label: "instant" },
      { from: 300, to: 400, label: "later" },
    ];
    expect(bandsWithin(bands, 100, 200)).toEqual([
      { from: 100, to: 120, label: "edge" },
      { from: 150, to: 150, label: "instant" },
    ]);
  });
});

describe("rangeLabel", () => {
  it("says the window in words", () => {
    expect(rangeLabel(3600)).toBe("last hour");
    expect(rangeLabel(1800)).toBe("last 30 min");
    expect(rangeLabel(6 * 3600)).toBe("last 6 h");
    expect(rangeLabel(2 * 86400)).toBe("last 2 d");
  });
});
