using ReluFast.Sampling;

namespace ReluFast.Tests.Sampling;

/// <summary>
/// The generator's paths (512-bit, 256-bit and scalar; each forced through <c>FillPairs(first, destination, widthBits)</c>, so all
/// three run on any x64 machine: 512-bit vectors work in software where they are not accelerated) give the same bits, for
/// ranges of any length and start, in the tails of the radius and at the quadrant edges of the angle (issue 16).
/// </summary>
public class CounterGaussianPathTests
{
    private static readonly int[] Widths = [256, 512];

    private static void AssertSameBits(double[] expected, double[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
                Assert.Fail($"{what}: value {i} is {actual[i]:R}, the scalar path's {expected[i]:R}");
        }
    }

    private static double[] Pairs(CounterGaussian g, long firstPair, int pairs, int widthBits)
    {
        var values = new double[2 * pairs];
        g.FillPairs(firstPair, values, widthBits);
        return values;
    }

    [Fact]
    public void EveryWidthGivesTheScalarPathsBitsForAnyStartAndLength()
    {
        long[] starts = [0, 1, 3, 7, 1000, 123_456_789, (1L << 40) + 5, (1L << 62) - 100];
        for (ulong seed = 0; seed < 24; seed++)
        {
            var g = new CounterGaussian(seed, seed % 5);
            foreach (long start in starts)
            {
                // 63 to 65, 129 and 257: the vector paths' chunks of 64 pairs end inside or at the edge of a vector
                foreach (int pairs in new[] { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 100, 129, 257 })
                {
                    if (start + pairs > 1L << 62) continue;
                    double[] scalar = Pairs(g, start, pairs, 64);
                    foreach (int w in Widths)
                        AssertSameBits(scalar, Pairs(g, start, pairs, w), $"seed {seed}, pair {start}, {pairs} pairs, {w} bits");
                }
            }
        }
    }

    [Fact]
    public void ManyValuesAgreeBitForBitOnEveryWidth()
    {
        // 2e5 normals: a reordered operation anywhere (hash, logarithm, polynomial, quadrant) changes a fraction of them.
        var g = new CounterGaussian(77, 1);
        double[] scalar = Pairs(g, 4242, 100_000, 64);
        foreach (int w in Widths) AssertSameBits(scalar, Pairs(g, 4242, 100_000, w), $"{w} bits");
        Assert.All(scalar, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void TheStreamIsThatOfTheGeneratorBeforeThe256BitPath()
    {
        // Normals 1000 .. 1009 of (seed 2024, key 5) as the generator of commit f1714d0 (TensorPrimitives.Log, scalar sin/cos
        // on AVX2) gave them: the 256-bit path changed no value of a long range.
        ulong[] expected =
        [
            0x3FFDAB19E0089B85, 0x3FE564233C0F253D, 0x3FE2B1827C079524, 0x3FF0FE4C1616AEBA, 0xBFF1C5EDFD24E6F7,
            0x3FE134ACD32B967A, 0xBFF3864843C40856, 0x3FDE211C097DECEA, 0x3FF432C91AB82812, 0x3FC77B0D549F38F3,
        ];
        var g = new CounterGaussian(2024, 5);
        var values = new double[10];
        g.Fill(1000, values);
        Assert.Equal(expected, values.Select(BitConverter.DoubleToUInt64Bits).ToArray());
        foreach (int w in new[] { 64, 256, 512 })
        {
            g.FillPairs(500, values, w);
            Assert.Equal(expected, values.Select(BitConverter.DoubleToUInt64Bits).ToArray());
        }
    }

    [Fact]
    public void OnePairAloneIsTheSameAsInALongRange()
    {
        // A range of one pair used to take Math.Log (through TensorPrimitives' scalar remainder), which differs from the vector
        // logarithm in the last place for about a quarter of the arguments; now every pair takes the vector logarithm.
        var g = new CounterGaussian(11, 2);
        var whole = new double[2000];
        g.Fill(0, whole);
        var part = new double[3];
        for (int start = 0; start + 3 <= whole.Length; start++)
        {
            foreach (int length in new[] { 1, 2, 3 })
            {
                g.Fill(start, part.AsSpan(0, length));
                AssertSameBits(whole.AsSpan(start, length).ToArray(), part[..length], $"start {start}, length {length}");
            }
        }
    }

    [Fact]
    public void TheRadiusTailsAgreeOnEveryWidth()
    {
        // Streams whose pair 0 has chosen hash bits for u1 (counter 0): the smallest uniform 2^-54 (the largest radius), the
        // largest, and values around 1/2 and at powers of two, where the logarithm's reduction changes interval.
        ulong[] bits = [0, 1UL << 11, 3UL << 11, ulong.MaxValue, ulong.MaxValue - (1UL << 11), 1UL << 63, (1UL << 63) - (1UL << 11),
            1UL << 62, 0x6A09E667F3BCC908UL, 0xB504F333F9DE6484UL, 1UL << 20, 1UL << 40];
        foreach (ulong b in bits)
        {
            var g = StreamWithUniformBits(counter: 0, b);
            Assert.Equal(CounterGaussian.ToUnit(b), g.Uniform(0));
            double[] scalar = Pairs(g, 0, 5, 64);
            Assert.True(double.IsFinite(scalar[0]) && double.IsFinite(scalar[1]));
            foreach (int w in Widths) AssertSameBits(scalar, Pairs(g, 0, 5, w), $"u1 bits {b:X16}, {w} bits");
        }
    }

    [Fact]
    public void TheQuadrantEdgesAgreeOnEveryWidth()
    {
        // sin/cos of 2 pi t at and next to the multiples of 1/8 (4t rounds half to even there) and 1/4 (the quadrant changes).
        var turns = new List<double>();
        for (int k = 0; k <= 8; k++)
        {
            double t = k / 8.0;
            turns.AddRange([t, Math.BitIncrement(t), Math.BitDecrement(t), Math.BitIncrement(Math.BitIncrement(t))]);
        }
        turns.RemoveAll(t => t < 0);
        turns.AddRange([CounterGaussian.ToUnit(0), CounterGaussian.ToUnit(ulong.MaxValue), 1e-300, 0.3, 0.7]);
        double[] t0 = turns.ToArray();
        var (sin, cos) = (new double[t0.Length], new double[t0.Length]);
        CounterGaussian.TurnSinCos(t0, sin, cos, 64);
        for (int i = 0; i < t0.Length; i++)
        {
            Assert.Equal(Math.Sin(2 * Math.PI * t0[i]), sin[i], 1e-15);
            Assert.Equal(Math.Cos(2 * Math.PI * t0[i]), cos[i], 1e-15);
        }
        foreach (int w in Widths)
        {
            var (s, c) = (new double[t0.Length], new double[t0.Length]);
            CounterGaussian.TurnSinCos(t0, s, c, w);
            AssertSameBits(sin, s, $"sin, {w} bits");
            AssertSameBits(cos, c, $"cos, {w} bits");
        }

        // And through the stream: u2 (counter 1) at the edges that ToUnit reaches exactly (t >= 1/2 rounds to the integer grid).
        foreach (ulong k in new ulong[] { 5UL << 50, (5UL << 50) + 1, (5UL << 50) - 1, 6UL << 50, 7UL << 50, (7UL << 50) + 1, 1UL << 52, 0UL })
        {
            var g = StreamWithUniformBits(counter: 1, k << 11);
            double[] scalar = Pairs(g, 0, 3, 64);
            foreach (int w in Widths) AssertSameBits(scalar, Pairs(g, 0, 3, w), $"u2 = {g.Uniform(1):R}, {w} bits");
        }
    }

    /// <summary>A stream whose uniform number <paramref name="counter"/> has hash bits <paramref name="bits"/> (by inverting the mixer).</summary>
    private static CounterGaussian StreamWithUniformBits(ulong counter, ulong bits)
    {
        // Uniform c is ToUnit(Mix(origin + c Golden)); the origin of (seed, key 0) is Mix(Mix(seed) ^ 0x8CB92BA72F3D8DD7).
        ulong origin = Unmix(bits) - counter * CounterGaussian.Increment;
        ulong seed = Unmix(Unmix(origin) ^ 0x8CB92BA72F3D8DD7UL);
        var g = new CounterGaussian(seed);
        Assert.Equal(origin, g.Origin);
        return g;
    }

    private static ulong Unmix(ulong z)
    {
        z = UnshiftXor(z, 31);
        z = UnshiftXor(z * Inverse(0x94D049BB133111EBUL), 27);
        return UnshiftXor(z * Inverse(0xBF58476D1CE4E5B9UL), 30);
    }

    private static ulong UnshiftXor(ulong y, int shift)
    {
        ulong x = y;
        for (int s = shift; s < 64; s += shift) x ^= y >> s;
        return x;
    }

    private static ulong Inverse(ulong odd)
    {
        ulong x = odd; // Newton's iteration for 1/odd mod 2^64: each step doubles the correct low bits (3 -> 96)
        for (int i = 0; i < 5; i++) x *= 2 - odd * x;
        return x;
    }
}
