using System.Numerics;
using BenchmarkDotNet.Attributes;
using ReluFast.Moments;
using static TorchSharp.torch;

namespace ReluFast.Benchmarks.Moments;

/// <summary>Per-neuron Hermite projections sum r He_k(w_i . x), k = 0..5, of 8192 samples: SIMD vs libtorch vs a scalar loop.</summary>
[Config(typeof(MomentBenchmarkConfig))]
[GenericTypeArguments(typeof(double))]
[GenericTypeArguments(typeof(float))]
public class HermiteProjectionBenchmarks<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private const int N = 8192;
    private T[] _x = [];
    private T[] _r = [];
    private double[] _w = [];
    private HermiteProjectionAccumulator<T> _acc = null!;
    private Tensor _xt = null!, _rt = null!, _wt = null!;
    private double[] _sums = [];

    [Params(16, 64, 256)]
    public int D { get; set; }

    [Params(8, 32)]
    public int M { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = BenchmarkData.Gaussians<T>((long)N * D, 5);
        _r = BenchmarkData.Gaussians<T>(N, 6);
        _w = BenchmarkData.Gaussians<double>((long)D * M, 7);
        for (int i = 0; i < _w.Length; i++) _w[i] /= Math.Sqrt(D);
        _acc = new HermiteProjectionAccumulator<T>(D, _w, M);
        _xt = BenchmarkData.Tensor(_x, N, D);
        _rt = BenchmarkData.Tensor(_r, N);
        _wt = tensor(_w, [D, M], dtype: _xt.dtype);
        _sums = new double[6 * M];
    }

    [GlobalCleanup]
    public void Cleanup() { _xt.Dispose(); _rt.Dispose(); _wt.Dispose(); }

    [Benchmark(Baseline = true)]
    public long Simd()
    {
        _acc.Accumulate(_x, _r);
        return _acc.Count;
    }

    [Benchmark]
    public double Torch()
    {
        using var scope = NewDisposeScope();
        return TorchMomentEngine.HermiteSums(_xt, _wt, _rt, 5).sum().to(ScalarType.Float64).item<double>();
    }

    [Benchmark]
    public double Scalar()
    {
        int d = D, m = M;
        for (int j = 0; j < N; j++)
        {
            double r = double.CreateTruncating(_r[j]);
            for (int i = 0; i < m; i++)
            {
                double s = 0;
                for (int k = 0; k < d; k++) s += double.CreateTruncating(_x[j * d + k]) * _w[k * m + i];
                double h0 = 1, h1 = s;
                _sums[i] += r; _sums[m + i] += r * s;
                for (int k = 1; k < 5; k++) { double h2 = s * h1 - k * h0; _sums[(k + 1) * m + i] += r * h2; h0 = h1; h1 = h2; }
            }
        }
        return _sums[0];
    }
}
