using System.Numerics;
using System.Runtime.InteropServices;

namespace ReluFast.IO;

/// <summary>Finds the first NaN or infinity in a span, with SIMD (x - x is 0 exactly when x is finite).</summary>
internal static class NonFiniteScanner
{
    /// <summary>Index of the first non-finite value in <paramref name="values"/>, or -1.</summary>
    public static int IndexOfNonFinite<T>(ReadOnlySpan<T> values) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && values.Length >= Vector<T>.Count)
        {
            var vectors = MemoryMarshal.Cast<T, Vector<T>>(values);
            for (int v = 0; v < vectors.Length; v++)
            {
                var x = vectors[v];
                if (!Vector.EqualsAll(x - x, Vector<T>.Zero))
                {
                    i = v * Vector<T>.Count;
                    break;
                }
                i = (v + 1) * Vector<T>.Count;
            }
        }
        for (; i < values.Length; i++)
            if (!T.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>Index of the first non-finite element in raw little-endian bytes of <paramref name="dtype"/>, or -1; its value in
    /// <paramref name="value"/>.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<byte> bytes, NpyDType dtype, out double value)
    {
        value = 0;
        if (dtype == NpyDType.Float64)
        {
            var d = MemoryMarshal.Cast<byte, double>(bytes);
            int k = IndexOfNonFinite(d);
            if (k >= 0) value = d[k];
            return k;
        }
        var f = MemoryMarshal.Cast<byte, float>(bytes);
        int j = IndexOfNonFinite(f);
        if (j >= 0) value = f[j];
        return j;
    }
}
