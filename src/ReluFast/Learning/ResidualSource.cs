using System.Buffers;
using System.Numerics;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Learning;

/// <summary>
/// The samples of <paramref name="source"/> with y replaced by the residual y - f(x) of a fitted network (computed in double):
/// the full-rank strategy's residual rounds stream their passes over it like over any source (threads, devices, MPI slices).
/// </summary>
internal sealed class ResidualSource<T>(ISampleSource<T> source, ReluNetwork network) : ISampleSource<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public int Dimension => source.Dimension;

    public long Count => source.Count;

    public void Read(long start, Span<T> x, Span<T> y)
    {
        source.Read(start, x, y);
        int n = y.Length, d = source.Dimension;
        double[] xd = ArrayPool<double>.Shared.Rent(n * d);
        double[] f = ArrayPool<double>.Shared.Rent(n);
        try
        {
            for (int i = 0; i < n * d; i++) xd[i] = double.CreateTruncating(x[i]);
            network.Evaluate(xd.AsSpan(0, n * d), f.AsSpan(0, n));
            for (int j = 0; j < n; j++) y[j] = T.CreateTruncating(double.CreateTruncating(y[j]) - f[j]);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(xd);
            ArrayPool<double>.Shared.Return(f);
        }
    }
}
