using System.Diagnostics;
using System.Globalization;
using ReluFast.Learning;
using System.Numerics.Tensors;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// Speed of refinement's squared-error kernel (<see cref="MseGradient.Accumulate"/>: loss and gradient of f over a block) at
/// the given (d, m, n), single thread, in GFLOP/s of its 4 n m d multiply-adds-worth of projections (forward and backward).
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- objective [d,m,n ...]
/// </summary>
internal static class ObjectiveSpeed
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        string[] sizes = args.Length > 1 ? args[1..] : ["20,10,20000", "50,25,40000", "64,32,65000", "128,64,20000"];
        Console.WriteLine("| d | m | n | ms per evaluation | GFLOP/s (4 n m d) | ns per sample | before: ns per sample | speed-up |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (string size in sizes)
        {
            var parts = size.Split(',');
            int d = int.Parse(parts[0], inv), m = int.Parse(parts[1], inv), n = int.Parse(parts[2], inv);
            var x = new double[n * d];
            var y = new double[n];
            new CounterGaussian(1, key: 1).Fill(0, x);
            new CounterGaussian(2, key: 1).Fill(0, y);
            var p = new double[MseGradient.ParameterCount(m, d)];
            new CounterGaussian(3, key: 1).Fill(0, p);
            var wT = new double[m * d];
            MseGradient.Transpose(p, m, d, wT);
            var g = new double[p.Length];
            var scratch = new double[MseGradient.ScratchLength(m, d)];
            var oldScratch = new double[2 * MseGradient.Chunk * m + MseGradient.Chunk * d + 2 * d * m];
            double seconds = double.PositiveInfinity, baseline = double.PositiveInfinity;
            for (int round = 0; round < 7; round++)
            {
                // alternate the two so that the machine's load hits both alike; keep each one's best round
                var clock = Stopwatch.StartNew();
                MseGradient.Accumulate(x, y, p, wT, m, d, g, scratch);
                seconds = Math.Min(seconds, clock.Elapsed.TotalSeconds);
                clock.Restart();
                BaselineMseGradient.Accumulate(x, y, p, wT, m, d, g, oldScratch);
                baseline = Math.Min(baseline, clock.Elapsed.TotalSeconds);
            }
            Console.WriteLine(string.Create(inv,
                $"| {d} | {m} | {n} | {seconds * 1e3:F2} | {4.0 * n * m * d / seconds / 1e9:F1} | {seconds / n * 1e9:F0} | " +
                $"{baseline / n * 1e9:F0} | {baseline / seconds:F1} |"));
        }
    }
}

/// <summary>The kernel before the chunk-wide rewrite (per-sample TensorPrimitives calls, X transposed per chunk), for the ratio.</summary>
internal static class BaselineMseGradient
{
    private const int Chunk = MseGradient.Chunk;

    public static double Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> wT, int m,
        int d, Span<double> g, Span<double> scratch)
    {
        ReadOnlySpan<double> b = p.Slice(m * d, m), a = p.Slice(m * d + m, m), c = p.Slice(m * d + 2 * m + 1, d);
        double c0 = p[m * d + 2 * m];
        Span<double> gB = g.Slice(m * d, m), gA = g.Slice(m * d + m, m), gC = g.Slice(m * d + 2 * m + 1, d);
        Span<double> pre = scratch.Slice(0, Chunk * m);
        Span<double> backward = scratch.Slice(Chunk * m, Chunk * m);
        Span<double> xT = scratch.Slice(2 * Chunk * m, Chunk * d);
        Span<double> chunkGradient = scratch.Slice(2 * Chunk * m + Chunk * d, d * m);
        Span<double> gWT = scratch.Slice(2 * Chunk * m + Chunk * d + d * m, d * m);
        gWT.Clear();
        double sse = 0, gC0 = 0;
        int n = y.Length;
        for (int start = 0; start < n; start += Chunk)
        {
            int count = Math.Min(Chunk, n - start);
            ReadOnlySpan<double> xs = x.Slice(start * d, count * d);
            Span<double> z = pre.Slice(0, count * m);
            if (m > 0) ReluFast.Moments.Projection.Project(xs, d, wT, m, z); // m = 0: only the linear part (every neuron was left to it)
            for (int j = 0; j < count; j++)
            {
                Span<double> zj = z.Slice(j * m, m);
                Span<double> row = backward.Slice(j * m, m);
                ReadOnlySpan<double> xj = xs.Slice(j * d, d);
                TensorPrimitives.Add(zj, b, zj);
                TensorPrimitives.Max(zj, 0.0, row);                       // h = relu(pre)
                double e = TensorPrimitives.Dot<double>(row, a) + c0 + TensorPrimitives.Dot(c, xj) - y[start + j];
                sse += e * e;
                // dL/da += e h; dL/dc0 += e; dL/dc += e x.
                TensorPrimitives.MultiplyAdd(row, e, gA, gA);
                gC0 += e;
                TensorPrimitives.MultiplyAdd(xj, e, gC, gC);
                // G_j = e a o 1[pre > 0]: dL/db += G_j; row j of the chunk's G for dL/dW below.
                for (int i = 0; i < m; i++) row[i] = zj[i] > 0 ? e * a[i] : 0;
                TensorPrimitives.Add(gB, row, gB);
            }
            // dL/dW^T += X_chunk^T G_chunk, as the projection kernel applied to the transposed chunk.
            for (int j = 0; j < count; j++)
                for (int k = 0; k < d; k++) xT[k * count + j] = xs[j * d + k];
            if (m == 0) continue;
            ReluFast.Moments.Projection.Project(xT.Slice(0, d * count), count, backward.Slice(0, count * m), m, chunkGradient);
            TensorPrimitives.Add(gWT, chunkGradient, gWT);
        }
        Span<double> gW = g.Slice(0, m * d);
        for (int i = 0; i < m; i++)
            for (int k = 0; k < d; k++) gW[i * d + k] += gWT[k * m + i];
        g[m * d + 2 * m] += gC0;
        return sse;
    }
}
