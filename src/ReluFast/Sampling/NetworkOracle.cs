using System.Numerics;
using ReluFast.Model;

namespace ReluFast.Sampling;

/// <summary>A known network queried as a black box (thread-safe): for tests, benchmarks and the C ABI's checks.</summary>
internal sealed class NetworkOracle<T>(ReluNetwork network) : IQueryOracle<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public int Dimension => network.InputDim;

    public bool IsThreadSafe => true;

    public void Query(ReadOnlySpan<T> x, Span<T> y)
    {
        if (typeof(T) == typeof(double))
            network.Evaluate(System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(x),
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(y));
        else
            network.Evaluate(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(x),
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(y));
    }
}
