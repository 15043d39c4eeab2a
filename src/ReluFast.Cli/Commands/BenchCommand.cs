using System.CommandLine;
using System.Text.Json;
using ReluFast.Cli.Bench;

namespace ReluFast.Cli.Commands;

/// <summary><c>relufast bench</c>: GFLOP/s of the SIMD moment engine and of the libtorch baseline on the same data.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Small data sets (about 10 seconds in all)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table." };
        var command = new Command("bench", "Measure the moment kernels (SIMD engine vs libtorch) and the machine's peak.") { quick, json };
        command.SetAction(parse =>
        {
            bool asJson = parse.GetValue(json);
            MomentBenchmarkReport report = MomentBenchmark.Run(parse.GetValue(quick), asJson ? null : Console.WriteLine);
            if (asJson) Console.WriteLine(ToJson(report));
            else
                Console.WriteLine($"SIMD engine: {report.Threads} SamplePass threads; libtorch: the better of {report.TorchThreads} threads and 1. " +
                    $"GFLOP/s count unique work only (an FMA is 2 flops) for both engines.");
            return 0;
        });
        return command;
    }

    private static string ToJson(MomentBenchmarkReport report)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("peakGflops", Math.Round(report.PeakGflops, 2));
            w.WriteNumber("clockGhz", Math.Round(report.ClockGhz, 3));
            w.WriteNumber("fmaPipes", report.FmaPipes);
            w.WriteNumber("measuredFmaGflops", Math.Round(report.MeasuredFmaGflops, 2));
            w.WriteNumber("readBandwidthGBs", Math.Round(report.ReadBandwidth / 1e9, 2));
            w.WriteNumber("threads", report.Threads);
            w.WriteNumber("torchThreads", report.TorchThreads);
            w.WriteStartArray("kernels");
            foreach (KernelBenchmark k in report.Kernels)
            {
                w.WriteStartObject();
                w.WriteString("name", k.Name);
                w.WriteString("dtype", k.Dtype);
                w.WriteNumber("d", k.D);
                w.WriteNumber("m", k.M);
                w.WriteNumber("weights", k.Weights);
                w.WriteNumber("samples", k.Samples);
                w.WriteNumber("gflops", Math.Round(k.Gflops, 2));
                w.WriteNumber("torchGflops", Math.Round(k.TorchGflops, 2));
                w.WriteNumber("speedup", Math.Round(k.Speedup, 3));
                w.WriteNumber("limitGflops", Math.Round(k.LimitGflops, 2));
                w.WriteString("bound", k.MemoryBound ? "memory" : "compute");
                w.WriteNumber("allocatedBytes", k.AllocatedBytes);
                if (k.GflopsCopied is double gc) w.WriteNumber("gflopsCopiedBlocks", Math.Round(gc, 2));
                if (k.RelativeError is double e) w.WriteNumber("relativeError", e);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
