using System.Numerics;
using BenchmarkDotNet.Attributes;
using ReluFast.Moments;
using static TorchSharp.torch;

namespace ReluFast.Benchmarks.Moments;

/// <summary>Weighted Gram matrix sum c x x^T (with sum c and sum c x) of 8192 samples: SIMD vs libtorch vs a scalar loop, one thread for SIMD and
/// scalar.</summary>
[Config(typeof(MomentBenchmarkConfig))]
[GenericTypeArguments(typeof(double))]
[GenericTypeArguments(typeof(float))]
public class WeightedGramBenchmarks<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private const int N = 8192;
    private T[] _x = [];
    private T[] _c = [];
    private WeightedGramAccumulator<T> _acc = null!;
    private Tensor _xt = null!, _ct = null!;
    private double[] _gram = [];

    [Params(16, 64, 256)]
    public int D { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = BenchmarkData.Gaussians<T>((long)N * D, 1);
        _c = BenchmarkData.Gaussians<T>(N, 2);
        _acc = new WeightedGramAccumulator<T>(D);
        _xt = BenchmarkData.Tensor(_x, N, D);
        _ct = BenchmarkData.Tensor(_c, 1, N);
        _gram = new double[D * D];
    }

    [GlobalCleanup]
    public void Cleanup() { _xt.Dispose(); _ct.Dispose(); }

    [Benchmark(Baseline = true)]
    public long Simd()
    {
        _acc.Accumulate(_x, _c);
        return _acc.Count;
    }

    [Benchmark]
    public double Torch()
    {
        using var scope = NewDisposeScope();
        var (s, f, g) = TorchMomentEngine.GramTensors(_xt, _ct);
        return g.sum().to(ScalarType.Float64).item<double>() + f.sum().to(ScalarType.Float64).item<double>() +
            s.sum().to(ScalarType.Float64).item<double>();
    }

    [Benchmark]
    public double Scalar()
    {
        int d = D;
        for (int j = 0; j < N; j++)
        {
            double c = double.CreateTruncating(_c[j]);
            for (int a = 0; a < d; a++)
            {
                double t = c * double.CreateTruncating(_x[j * d + a]);
                for (int b = a; b < d; b++) _gram[a * d + b] += t * double.CreateTruncating(_x[j * d + b]);
            }
        }
        return _gram[0];
    }
}
