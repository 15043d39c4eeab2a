using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReluFast.Moments.Kernels;

/// <summary>A register tile's rows or width, an operator in the style of TensorPrimitives: the JIT drops the unused accumulators.</summary>
internal interface ICount
{
    static abstract int Count { get; }
}

internal readonly struct Count1 : ICount { public static int Count => 1; }

internal readonly struct Count2 : ICount { public static int Count => 2; }

internal readonly struct Count3 : ICount { public static int Count => 3; }

internal readonly struct Count4 : ICount { public static int Count => 4; }

internal readonly struct Count5 : ICount { public static int Count => 5; }

internal readonly struct Count6 : ICount { public static int Count => 6; }

internal readonly struct Count7 : ICount { public static int Count => 7; }

internal readonly struct Count8 : ICount { public static int Count => 8; }

/// <summary>The sample-lane kernels' end of a register tile: each accumulator's lanes summed into its entry.</summary>
internal static class LaneSums
{
    /// <summary>
    /// c[j stride] += the sum of v_j's lanes for j &lt; TW, by one transposing tree for all of them (float64: pairs of lanes, then of
    /// 128-bit blocks; float32: the two halves first), a few operations a sum instead of a reduction each. Unused vectors are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<T, TW>(ref double c, nint stride, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, Vector512<T> v3,
        Vector512<T> v4, Vector512<T> v5, Vector512<T> v6, Vector512<T> v7) where TW : ICount
    {
        Vector512<double> sums;
        if (typeof(T) == typeof(double))
        {
            Vector512<double> s01 = Pairs(v0.AsDouble(), v1.AsDouble()), s23 = Pairs(v2.AsDouble(), v3.AsDouble());
            Vector512<double> s45 = Pairs(v4.AsDouble(), v5.AsDouble());
            Vector512<double> s67 = TW.Count > 6 ? Pairs(v6.AsDouble(), v7.AsDouble()) : Vector512<double>.Zero;
            sums = Blocks(Blocks(s01, s23), Blocks(s45, s67));
        }
        else
        {
            Vector256<float> h0 = Halves(v0.AsSingle()), h1 = Halves(v1.AsSingle()), h2 = Halves(v2.AsSingle()), h3 = Halves(v3.AsSingle());
            Vector256<float> h4 = Halves(v4.AsSingle()), h5 = Halves(v5.AsSingle());
            Vector256<float> q0123 = Avx.HorizontalAdd(Avx.HorizontalAdd(h0, h1), Avx.HorizontalAdd(h2, h3));
            Vector256<float> h67 = TW.Count > 6 ? Avx.HorizontalAdd(Halves(v6.AsSingle()), Halves(v7.AsSingle())) : Vector256<float>.Zero;
            Vector256<float> q4567 = Avx.HorizontalAdd(Avx.HorizontalAdd(h4, h5), h67);
            sums = Avx512F.ConvertToVector512Double(Avx.Permute2x128(q0123, q4567, 0x20) + Avx.Permute2x128(q0123, q4567, 0x31));
        }
        c += sums.GetElement(0);
        if (TW.Count > 1) Unsafe.Add(ref c, stride) += sums.GetElement(1);
        if (TW.Count > 2) Unsafe.Add(ref c, 2 * stride) += sums.GetElement(2);
        if (TW.Count > 3) Unsafe.Add(ref c, 3 * stride) += sums.GetElement(3);
        if (TW.Count > 4) Unsafe.Add(ref c, 4 * stride) += sums.GetElement(4);
        if (TW.Count > 5) Unsafe.Add(ref c, 5 * stride) += sums.GetElement(5);
        if (TW.Count > 6) Unsafe.Add(ref c, 6 * stride) += sums.GetElement(6);
        if (TW.Count > 7) Unsafe.Add(ref c, 7 * stride) += sums.GetElement(7);

        // [x0 + x1, y0 + y1, x2 + x3, y2 + y3, ..]
        static Vector512<double> Pairs(Vector512<double> x, Vector512<double> y) => Avx512F.UnpackLow(x, y) + Avx512F.UnpackHigh(x, y);

        // 128-bit blocks (x0 x1 x2 x3), (y0 y1 y2 y3) -> (x0 + x1, x2 + x3, y0 + y1, y2 + y3)
        static Vector512<double> Blocks(Vector512<double> x, Vector512<double> y) =>
            Avx512F.Shuffle4x128(x, y, 0x88) + Avx512F.Shuffle4x128(x, y, 0xDD);

        static Vector256<float> Halves(Vector512<float> v) => v.GetLower() + v.GetUpper();
    }
}
