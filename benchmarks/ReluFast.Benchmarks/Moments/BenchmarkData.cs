using System.Numerics;

namespace ReluFast.Benchmarks.Moments;

/// <summary>Gaussian data shared by the moment benchmarks (fixed seeds).</summary>
internal static class BenchmarkData
{
    public static T[] Gaussians<T>(long count, int seed) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var r = new Random(seed);
        var values = new T[count];
        for (long i = 0; i < count; i++)
            values[i] = T.CreateTruncating(Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble()));
        return values;
    }

    public static TorchSharp.torch.Tensor Tensor<T>(T[] values, params long[] shape) where T : unmanaged =>
        typeof(T) == typeof(double)
            ? TorchSharp.torch.tensor((double[])(object)values, shape, dtype: TorchSharp.torch.ScalarType.Float64)
            : TorchSharp.torch.tensor((float[])(object)values, shape, dtype: TorchSharp.torch.ScalarType.Float32);
}
