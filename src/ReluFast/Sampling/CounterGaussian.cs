using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ReluFast.Moments.Kernels;

namespace ReluFast.Sampling;

/// <summary>
/// A counter-based standard normal generator: normal number k of stream (seed, key) is a pure
/// function of (seed, key, k). Any range can be generated from any thread in any order and gives the
/// same values, which is what makes teacher streams replayable and thread-count independent.
/// </summary>
/// <remarks>
/// Uniforms come from the SplitMix64 output function applied to seed-dependent Weyl-sequence states
/// (the construction of Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014);
/// pairs of uniforms become pairs of normals by the Box–Muller transform. Both steps are vectorised, in
/// <see cref="Vector512{T}"/> or <see cref="Vector256{T}"/> (the width structs of CounterGaussian.Lanes.cs behind one
/// driver); every width and the scalar path do the same operations in the same order, so the values do not depend on the machine.
/// </remarks>
internal readonly partial struct CounterGaussian
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
    private void FillPairs(long firstPair, Span<double> destination) => FillPairs(firstPair, destination, Simd.WidthBits);

    /// <summary>
    /// <see cref="FillPairs(long, Span{double})"/> on the path of one vector width: 512, 256 or 64 (scalar). The one
    /// dispatch point; tests call it with every width, since all of them must give the same bits.
    /// </summary>
    internal void FillPairs(long firstPair, Span<double> destination, int widthBits)
    {
        ulong firstCounter = (ulong)firstPair * 2;
        if (widthBits >= 512) Run<Lanes512>(firstCounter, destination);
        else if (widthBits >= 256) Run<Lanes256>(firstCounter, destination);
        else RunScalar(firstCounter, destination);
    }

    /// <summary>Pairs a chunk of the vector paths holds on the stack (a multiple of every width's pairs per vector).</summary>
    private const int ChunkPairs = 64;

    /// <summary>The most pairs a vector holds (512 bits).</summary>
    private const int MaxLanes = 8;

    /// <summary>
    /// The driver of every vector width, a chunk of pairs at a time in three sweeps: the uniforms u1 (radius) and u2 (angle),
    /// hashed from counters 2q and 2q + 1 of pair q; the radius r = sqrt(-2 ln u1); the angle theta = 2 pi u2 and the stores,
    /// normal 2q = r cos(theta), 2q + 1 = r sin(theta) (Box-Muller). The logarithm is a call: alone in its sweep its calls
    /// overlap, where taking each vector of pairs from hash to store queued the rest behind them (1.2x slower, docs/passes.md).
    /// Every pair takes the same operations wherever a range starts or ends: a last part vector is a whole one whose extra pairs
    /// (the stream's next ones) are dropped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run<TLanes>(ulong firstCounter, Span<double> destination) where TLanes : struct, ILanes<TLanes>
    {
        int pairs = destination.Length / 2, lanes = TLanes.Count;
        Span<double> chunk = stackalloc double[2 * ChunkPairs + 2 * MaxLanes];
        ref double radius = ref MemoryMarshal.GetReference(chunk);
        ref double turns = ref Unsafe.Add(ref radius, ChunkPairs);
        ref double last = ref Unsafe.Add(ref radius, 2 * ChunkPairs);
        ref double d = ref MemoryMarshal.GetReference(destination);
        for (int start = 0; start < pairs; start += ChunkPairs)
        {
            int count = Math.Min(ChunkPairs, pairs - start);
            for (int i = 0; i < count; i += lanes)
            {
                TLanes.Uniforms(_origin, firstCounter + 2 * (ulong)(start + i), out var u1, out var u2);
                TLanes.Store(u1, ref radius, i);
                TLanes.Store(u2, ref turns, i);
            }
            for (int i = 0; i < count; i += lanes)
                TLanes.Store(TLanes.Sqrt(TLanes.Log(TLanes.Load(ref radius, i)) * TLanes.Create(-2.0)), ref radius, i);
            for (int i = 0; i < count; i += lanes)
            {
                var r = TLanes.Load(ref radius, i);
                TurnSinCos(TLanes.Load(ref turns, i), out var sin, out var cos);
                if (i + lanes <= count)
                {
                    TLanes.StoreInterleaved(r * cos, r * sin, ref Unsafe.Add(ref d, 2 * (start + i)));
                    continue;
                }
                TLanes.StoreInterleaved(r * cos, r * sin, ref last);
                MemoryMarshal.CreateSpan(ref last, 2 * (count - i)).CopyTo(destination[(2 * (start + i))..]);
            }
        }
    }

    /// <summary>The scalar path (machines without 256-bit vectors): the same operations as <see cref="Run{TLanes}"/>, one pair at a time.</summary>
    private void RunScalar(ulong firstCounter, Span<double> destination)
    {
        for (int i = 0; 2 * i + 1 < destination.Length; i++)
        {
            ulong counter = firstCounter + 2 * (ulong)i;
            double radius = Math.Sqrt(Log(ToUnit(Mix(_origin + counter * Golden))) * -2.0);
            TurnSinCos(ToUnit(Mix(_origin + (counter + 1) * Golden)), out double sin, out double cos);
            destination[2 * i] = radius * cos;
            destination[2 * i + 1] = radius * sin;
        }
    }

    /// <summary>
    /// ln u as the vector paths compute it (System.Runtime.Intrinsics' vectorised logarithm, the same bits in every lane and
    /// width), not <see cref="Math.Log(double)"/>: the two differ in the last place for about a quarter of the arguments.
    /// Vector128.Log of double is not accelerated on x64 (about 300 ns a call on AVX2, against 4 ns for Vector256.Log).
    /// </summary>
    private static double Log(double u) => Vector256.IsHardwareAccelerated
        ? Vector256.Log(Vector256.Create(u)).ToScalar()
        : Vector128.Log(Vector128.Create(u)).ToScalar();

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
    private static void TurnSinCos<TLanes>(TLanes t, out TLanes sin, out TLanes cos) where TLanes : struct, ILanes<TLanes>
    {
        var quarter = t * TLanes.Create(4);
        var q = TLanes.Round(quarter);
        var a = (quarter - q) * TLanes.Create(Math.PI / 2);
        var a2 = a * a;
        var s = a + a * a2 * (TLanes.Create(S3) + a2 * (TLanes.Create(S5) + a2 * (TLanes.Create(S7) + a2 * (TLanes.Create(S9)
            + a2 * (TLanes.Create(S11) + a2 * (TLanes.Create(S13) + a2 * TLanes.Create(S15)))))));
        var c = TLanes.Create(1) + a2 * (TLanes.Create(C2) + a2 * (TLanes.Create(C4) + a2 * (TLanes.Create(C6) + a2 * (TLanes.Create(C8)
            + a2 * (TLanes.Create(C10) + a2 * (TLanes.Create(C12) + a2 * (TLanes.Create(C14) + a2 * TLanes.Create(C16))))))));
        // The quadrant q is 0 .. 4 (4 is 0); compared as doubles, since AVX2 has no double -> int64 conversion.
        var q1 = TLanes.Equals(q, TLanes.Create(1));
        var q2 = TLanes.Equals(q, TLanes.Create(2));
        var q3 = TLanes.Equals(q, TLanes.Create(3));
        var swap = q1 | q3;
        var signBit = TLanes.Create(-0.0);
        sin = TLanes.ConditionalSelect(swap, c, s) ^ ((q2 | q3) & signBit);
        cos = TLanes.ConditionalSelect(swap, s, c) ^ ((q1 | q2) & signBit);
    }

    /// <summary>sin and cos of 2 pi t for each t, on the path of one width (as FillPairs; for tests).</summary>
    internal static void TurnSinCos(ReadOnlySpan<double> turns, Span<double> sin, Span<double> cos, int widthBits)
    {
        if (widthBits >= 512) TurnSinCos<Lanes512>(turns, sin, cos);
        else if (widthBits >= 256) TurnSinCos<Lanes256>(turns, sin, cos);
        else for (int i = 0; i < turns.Length; i++) TurnSinCos(turns[i], out sin[i], out cos[i]);
    }

    private static void TurnSinCos<TLanes>(ReadOnlySpan<double> turns, Span<double> sin, Span<double> cos)
        where TLanes : struct, ILanes<TLanes>
    {
        int lanes = TLanes.Count;
        Span<double> t = stackalloc double[lanes], s = stackalloc double[lanes], c = stackalloc double[lanes];
        for (int i = 0; i < turns.Length; i += lanes)
        {
            int n = Math.Min(lanes, turns.Length - i);
            t.Fill(0.5);
            turns.Slice(i, n).CopyTo(t);
            TurnSinCos(TLanes.Load(t), out var vs, out var vc);
            TLanes.Store(vs, s);
            TLanes.Store(vc, c);
            s[..n].CopyTo(sin[i..]);
            c[..n].CopyTo(cos[i..]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // 53 random bits, shifted by half an ulp so the result lies strictly inside (0, 1): ln(u) is finite. The vector paths take
    // fma(k, 2^-53, 2^-54) for k = bits >> 11: (k + 1/2) 2^-53 rounded once, the bits of rounding k + 1/2 and scaling by 2^-53.
    private const double TwoToMinus53 = 1.0 / (1UL << 53), TwoToMinus54 = TwoToMinus53 / 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double ToUnit(ulong bits) => ((bits >> 11) + 0.5) * TwoToMinus53;
}
