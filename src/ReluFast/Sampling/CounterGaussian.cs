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
public readonly struct CounterGaussian
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

    /// <summary>Uniform number k of this stream, in (0, 1).</summary>
    public double Uniform(long k) => ToUnit(Mix(_origin + (ulong)k * Golden));

    /// <summary>Writes normals 2p .. 2p + 2n - 1 (n = destination.Length / 2 pairs starting at pair p).</summary>
    private void FillPairs(long firstPair, Span<double> destination)
    {
        int pairs = destination.Length / 2;
        // First half: u1 (radius), second half: u2 (angle); hashed from counters 2p and 2p+1.
        Span<double> u1 = destination.Slice(0, pairs);
        Span<double> u2 = destination.Slice(pairs, pairs);
        FillUniforms((ulong)firstPair * 2, u1, u2);
        // r = sqrt(-2 ln u1), theta = 2 pi u2.
        TensorPrimitives.Log(u1, u1);
        TensorPrimitives.Multiply(u1, -2.0, u1);
        TensorPrimitives.Sqrt(u1, u1);
        TensorPrimitives.Multiply(u2, 2.0 * Math.PI, u2);
        double[] buffer = ArrayPool<double>.Shared.Rent(2 * pairs);
        try
        {
            Span<double> sin = buffer.AsSpan(0, pairs);
            Span<double> cos = buffer.AsSpan(pairs, pairs);
            TensorPrimitives.SinCos(u2, sin, cos);
            TensorPrimitives.Multiply(sin, u1, sin);
            TensorPrimitives.Multiply(cos, u1, cos);
            // Interleave: normal 2p = r cos(theta), normal 2p+1 = r sin(theta).
            for (int i = 0; i < pairs; i++)
            {
                destination[2 * i] = cos[i];
                destination[2 * i + 1] = sin[i];
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
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
    private static ulong Mix(ulong z)
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
    private static double ToUnit(ulong bits) => ((bits >> 11) + 0.5) * TwoToMinus53;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> ToUnit(Vector512<ulong> bits) =>
        (Vector512.ConvertToDouble(Vector512.ShiftRightLogical(bits, 11)) + Vector512.Create(0.5)) * TwoToMinus53;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> ToUnit(Vector256<ulong> bits) =>
        (Vector256.ConvertToDouble(Vector256.ShiftRightLogical(bits, 11)) + Vector256.Create(0.5)) * TwoToMinus53;
}
