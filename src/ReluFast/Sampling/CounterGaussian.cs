using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Sampling;

/// <summary>
/// A counter-based standard normal generator: normal number k of stream (seed, key) is a pure
/// function of (seed, key, k). Any range can be generated from any thread in any order and gives the
/// same values, which is what makes teacher streams replayable and thread-count independent.
/// </summary>
/// <remarks>
/// Uniforms come from the SplitMix64 output function applied to seed-dependent Weyl-sequence states
/// (the construction of Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014);
/// pairs of uniforms become pairs of normals by the Box–Muller transform. Both steps are vectorised:
/// the hash with <see cref="Vector512{T}"/>/<see cref="Vector256{T}"/> of ulong, the transcendental part
/// with <see cref="TensorPrimitives"/>.
/// </remarks>
internal readonly struct CounterGaussian
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private readonly ulong _origin;

    /// <summary>Creates the stream identified by a seed and a key (use distinct keys for independent streams of one seed).</summary>
    public CounterGaussian(ulong seed, ulong key = 0)
    {
        _origin = Mix(Mix(seed) ^ (key * 0xD1B54A32D192ED03UL + 0x8CB92BA72F3D8DD7UL));
    }

    /// <summary>Fills <paramref name="destination"/> with normals number [start, start + destination.Length) of this stream.</summary>
    public void Fill(long start, Span<double> destination)
    {
        if (start < 0) throw new ArgumentOutOfRangeException(nameof(start), start, "The first index must be non-negative.");
        if (destination.IsEmpty) return;
        // Normals come in Box–Muller pairs (2p, 2p+1); generate whole pairs covering the range.
        long firstPair = start >> 1;
        long lastPair = (start + destination.Length - 1) >> 1;
        int pairs = checked((int)(lastPair - firstPair + 1));
        int offset = (int)(start & 1);
        if (offset == 0 && destination.Length == 2 * pairs)
        {
            FillPairs(firstPair, destination);
            return;
        }
        double[] scratch = ArrayPool<double>.Shared.Rent(2 * pairs);
        try
        {
            Span<double> s = scratch.AsSpan(0, 2 * pairs);
            FillPairs(firstPair, s);
            s.Slice(offset, destination.Length).CopyTo(destination);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scratch);
        }
    }

    /// <summary>The stream's Weyl origin: uniform k is ToUnit(Mix(Origin + k * Golden)) (for the GPU generator).</summary>
    internal ulong Origin => _origin;

    /// <summary>The Weyl increment between consecutive counters.</summary>
    internal const ulong Increment = Golden;

    /// <summary>Uniform number k of this stream, in (0, 1).</summary>
    public double Uniform(long k) => ToUnit(Mix(_origin + (ulong)k * Golden));

    /// <summary>Writes normals 2p .. 2p + 2n - 1 (n = destination.Length / 2 pairs starting at pair p).</summary>
    private void FillPairs(long firstPair, Span<double> destination)
    {
        int pairs = destination.Length / 2;
        double[] rented = ArrayPool<double>.Shared.Rent(2 * pairs);
        try
        {
            // u1 (radius) and u2 (angle) are hashed from counters 2q and 2q + 1 of pair q.
            Span<double> radius = rented.AsSpan(0, pairs);
            Span<double> turns = rented.AsSpan(pairs, pairs);
            FillUniforms((ulong)firstPair * 2, radius, turns);
            // Box-Muller: r = sqrt(-2 ln u1), theta = 2 pi u2; normal 2q = r cos(theta), 2q + 1 = r sin(theta).
            TensorPrimitives.Log(radius, radius);
            TensorPrimitives.Multiply(radius, -2.0, radius);
            TensorPrimitives.Sqrt(radius, radius);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + 8 <= pairs; i += 8)
                {
                    var r = Vector512.Create<double>(radius.Slice(i, 8));
                    TurnSinCos(Vector512.Create<double>(turns.Slice(i, 8)), out var sin, out var cos);
                    var (low, high) = Interleave(cos * r, sin * r);
                    low.CopyTo(destination.Slice(2 * i));
                    high.CopyTo(destination.Slice(2 * i + 8));
                }
            }
            for (; i < pairs; i++)
            {
                TurnSinCos(turns[i], out double sin, out double cos);
                destination[2 * i] = radius[i] * cos;
                destination[2 * i + 1] = radius[i] * sin;
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <summary>(a0, b0, a1, b1, ..., a3, b3) and (a4, b4, ..., a7, b7).</summary>
    private static (Vector512<double> Low, Vector512<double> High) Interleave(Vector512<double> a, Vector512<double> b)
    {
        var low = Vector512.Shuffle(a, Vector512.Create(0L, 0, 1, 1, 2, 2, 3, 3));
        var lowB = Vector512.Shuffle(b, Vector512.Create(0L, 0, 1, 1, 2, 2, 3, 3));
        var high = Vector512.Shuffle(a, Vector512.Create(4L, 4, 5, 5, 6, 6, 7, 7));
        var highB = Vector512.Shuffle(b, Vector512.Create(4L, 4, 5, 5, 6, 6, 7, 7));
        var odd = Vector512.Create(0L, -1, 0, -1, 0, -1, 0, -1).AsDouble();
        return (Vector512.ConditionalSelect(odd, lowB, low), Vector512.ConditionalSelect(odd, highB, high));
    }

    // sin and cos of 2 pi t for t in [0, 1): t = (q + f) / 4 with q = round(4t) and f in [-1/2, 1/2], so the
    // angle is q pi/2 + a with a = f pi/2 in [-pi/4, pi/4], where Taylor polynomials of degree 15/16 are exact
    // to double precision (the first omitted terms are below 6e-17). The scalar and vector versions do the same
    // operations in the same order, so a value does not depend on which path computed it.
    private const double S3 = -1.0 / 6, S5 = 1.0 / 120, S7 = -1.0 / 5040, S9 = 1.0 / 362880, S11 = -1.0 / 39916800,
        S13 = 1.0 / 6227020800, S15 = -1.0 / 1307674368000;
    private const double C2 = -0.5, C4 = 1.0 / 24, C6 = -1.0 / 720, C8 = 1.0 / 40320, C10 = -1.0 / 3628800,
        C12 = 1.0 / 479001600, C14 = -1.0 / 87178291200, C16 = 1.0 / 20922789888000;

    private static void TurnSinCos(double t, out double sin, out double cos)
    {
        double quarter = t * 4;
        double q = Math.Round(quarter);
        double a = (quarter - q) * (Math.PI / 2);
        double a2 = a * a;
        double s = a + a * a2 * (S3 + a2 * (S5 + a2 * (S7 + a2 * (S9 + a2 * (S11 + a2 * (S13 + a2 * S15))))));
        double c = 1 + a2 * (C2 + a2 * (C4 + a2 * (C6 + a2 * (C8 + a2 * (C10 + a2 * (C12 + a2 * (C14 + a2 * C16)))))));
        switch ((int)q & 3)
        {
            case 0: sin = s; cos = c; break;
            case 1: sin = c; cos = -s; break;
            case 2: sin = -s; cos = -c; break;
            default: sin = -c; cos = s; break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> V(double value) => Vector512.Create(value);

    private static void TurnSinCos(Vector512<double> t, out Vector512<double> sin, out Vector512<double> cos)
    {
        var quarter = t * 4;
        var q = Vector512.Round(quarter);
        var a = (quarter - q) * (Math.PI / 2);
        var a2 = a * a;
        var s = a + a * a2 * (V(S3) + a2 * (V(S5) + a2 * (V(S7) + a2 * (V(S9) + a2 * (V(S11) + a2 * (V(S13) + a2 * S15))))));
        var c = Vector512<double>.One
            + a2 * (V(C2) + a2 * (V(C4) + a2 * (V(C6) + a2 * (V(C8) + a2 * (V(C10) + a2 * (V(C12) + a2 * (V(C14) + a2 * C16)))))));
        var quadrant = Vector512.ConvertToInt64(q) & Vector512.Create(3L);
        var swap = Vector512.Equals(quadrant & Vector512<long>.One, Vector512<long>.One).AsDouble();    // q = 1, 3
        var negateSin = Vector512.GreaterThanOrEqual(quadrant, Vector512.Create(2L)).AsDouble();          // q = 2, 3
        var negateCos = Vector512.Equals(quadrant, Vector512<long>.One).AsDouble()
            | Vector512.Equals(quadrant, Vector512.Create(2L)).AsDouble(); // q = 1, 2
        var sinBase = Vector512.ConditionalSelect(swap, c, s);
        var cosBase = Vector512.ConditionalSelect(swap, s, c);
        var signBit = Vector512.Create(-0.0);
        sin = sinBase ^ (negateSin & signBit);
        cos = cosBase ^ (negateCos & signBit);
    }

    private void FillUniforms(ulong firstCounter, Span<double> even, Span<double> odd)
    {
        int n = even.Length;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var lane = Vector512.Create(0UL, 2, 4, 6, 8, 10, 12, 14);
            for (; i + Vector512<ulong>.Count <= n; i += Vector512<ulong>.Count)
            {
                var counter = Vector512.Create(firstCounter + 2 * (ulong)i) + lane;
                ToUnit(Mix(Vector512.Create(_origin) + counter * Golden)).CopyTo(even.Slice(i));
                ToUnit(Mix(Vector512.Create(_origin) + (counter + Vector512<ulong>.One) * Golden)).CopyTo(odd.Slice(i));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var lane = Vector256.Create(0UL, 2, 4, 6);
            for (; i + Vector256<ulong>.Count <= n; i += Vector256<ulong>.Count)
            {
                var counter = Vector256.Create(firstCounter + 2 * (ulong)i) + lane;
                ToUnit(Mix(Vector256.Create(_origin) + counter * Golden)).CopyTo(even.Slice(i));
                ToUnit(Mix(Vector256.Create(_origin) + (counter + Vector256<ulong>.One) * Golden)).CopyTo(odd.Slice(i));
            }
        }
        for (; i < n; i++)
        {
            ulong counter = firstCounter + 2 * (ulong)i;
            even[i] = ToUnit(Mix(_origin + counter * Golden));
            odd[i] = ToUnit(Mix(_origin + (counter + 1) * Golden));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Mix(Vector512<ulong> z)
    {
        z = (z ^ Vector512.ShiftRightLogical(z, 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ Vector512.ShiftRightLogical(z, 27)) * 0x94D049BB133111EBUL;
        return z ^ Vector512.ShiftRightLogical(z, 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Mix(Vector256<ulong> z)
    {
        z = (z ^ Vector256.ShiftRightLogical(z, 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ Vector256.ShiftRightLogical(z, 27)) * 0x94D049BB133111EBUL;
        return z ^ Vector256.ShiftRightLogical(z, 31);
    }

    // 53 random bits, shifted by half an ulp so the result lies strictly inside (0, 1): ln(u) is finite.
    private const double TwoToMinus53 = 1.0 / (1UL << 53);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double ToUnit(ulong bits) => ((bits >> 11) + 0.5) * TwoToMinus53;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> ToUnit(Vector512<ulong> bits) =>
        (Vector512.ConvertToDouble(Vector512.ShiftRightLogical(bits, 11)) + Vector512.Create(0.5)) * TwoToMinus53;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> ToUnit(Vector256<ulong> bits) =>
        (Vector256.ConvertToDouble(Vector256.ShiftRightLogical(bits, 11)) + Vector256.Create(0.5)) * TwoToMinus53;
}
