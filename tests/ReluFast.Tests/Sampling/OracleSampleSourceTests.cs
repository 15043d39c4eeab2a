using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Sampling;

/// <summary>The learner drawing its own Gaussian queries and asking a black box for y (issue 15).</summary>
public class OracleSampleSourceTests
{
    private static readonly ReluNetwork Teacher = RandomTeacher.Create(new TeacherOptions(InputDim: 6, Hidden: 3), seed: 41);

    [Fact]
    public void QueriesAreTheTeacherStreamsInputsForAnyBlockSplit()
    {
        var oracle = new OracleSampleSource<double>(new NetworkOracle<double>(Teacher), 1000, seed: 5);
        var teacher = new TeacherSampleSource<double>(Teacher, 1000, seed: 5);
        var (x1, y1) = (new double[1000 * 6], new double[1000]);
        var (x2, y2) = (new double[1000 * 6], new double[1000]);
        teacher.Read(0, x1, y1);
        for (int start = 0; start < 1000; start += 333)
        {
            int n = Math.Min(333, 1000 - start);
            oracle.Read(start, x2.AsSpan(start * 6, n * 6), y2.AsSpan(start, n));
        }
        Assert.Equal(x1, x2);
        Assert.Equal(y1, y2);
        Assert.Equal(1000, oracle.Queries);
        Assert.Equal(4, oracle.OracleCalls);

        // The static draw is the same stream, for hosts that evaluate the queries themselves.
        var x3 = new double[10 * 6];
        OracleSampleSource<double>.Draw(5, 6, 100, x3);
        Assert.Equal(x1.AsSpan(600, 60).ToArray(), x3);
    }

    [Fact]
    public void FloatTeacherSamplesAreTheRoundedDrawsAndTheTeacherOfThem()
    {
        // the float stream's contract: x is the double stream's x rounded, y the teacher of exactly those floats (in double),
        // rounded; any split into blocks gives the same values
        var single = new TeacherSampleSource<float>(Teacher, 1000, seed: 7, noiseStd: 0.1);
        var full = new TeacherSampleSource<double>(Teacher, 1000, seed: 7, noiseStd: 0.1);
        var (xd, yd) = (new double[1000 * 6], new double[1000]);
        full.Read(0, xd, yd);
        var (xf, yf) = (new float[1000 * 6], new float[1000]);
        for (int start = 0; start < 1000; start += 333)
        {
            int n = Math.Min(333, 1000 - start);
            single.Read(start, xf.AsSpan(start * 6, n * 6), yf.AsSpan(start, n));
        }
        double[] rounded = [.. xd.Select(v => (double)(float)v)];
        Assert.Equal(rounded.Select(v => (float)v), xf);
        var clean = new double[1000];
        Teacher.Evaluate(rounded, clean);
        // the noise is the double stream's: y - f(x) there
        var expected = new float[1000];
        var cleanOfDouble = new double[1000];
        Teacher.Evaluate(xd, cleanOfDouble);
        for (int j = 0; j < 1000; j++) expected[j] = (float)(clean[j] + (yd[j] - cleanOfDouble[j]));
        for (int j = 0; j < 1000; j++) Assert.True(Math.Abs(yf[j] - expected[j]) <= 1e-6f * (1 + Math.Abs(expected[j])), $"{j}");
    }

    [Fact]
    public void FloatQueriesAreTheRoundedDraws()
    {
        var oracle = new OracleSampleSource<float>(new NetworkOracle<float>(Teacher), 64, seed: 5);
        var teacher = new TeacherSampleSource<float>(Teacher, 64, seed: 5);
        var (x1, y1, x2, y2) = (new float[64 * 6], new float[64], new float[64 * 6], new float[64]);
        teacher.Read(0, x1, y1);
        oracle.Read(0, x2, y2);
        Assert.Equal(x1, x2);
        // The teacher source evaluates in double and rounds y; the float oracle evaluates in float: within a few ulps.
        for (int j = 0; j < 64; j++) Assert.True(Math.Abs(y1[j] - y2[j]) <= 1e-5f * (1 + Math.Abs(y1[j])), $"{j}: {y1[j]} vs {y2[j]}");
    }

    [Fact]
    public void LearningThroughTheOracleRecoversTheNetworkAndCountsQueries()
    {
        const long n = 200_000;
        var cached = new OracleSampleSource<double>(new NetworkOracle<double>(Teacher), n, seed: 9, cacheResponses: true);
        var result = ReluLearner.Learn(cached, new LearnerOptions { Seed = 1, Threads = 2 });
        var errors = NetworkComparison.Compare(result.Network, Teacher);
        Assert.True(errors.WError < 1e-6 && errors.AError < 1e-6 && errors.BError < 1e-6, $"{errors}");
        Assert.InRange(cached.Queries, 1, n); // each x asked once
        Assert.Null(result.Inputs); // the queries are N(0, I) by construction: no pass estimates their law

        var streamed = new OracleSampleSource<double>(new NetworkOracle<double>(Teacher), n, seed: 9);
        var again = ReluLearner.Learn(streamed, new LearnerOptions { Seed = 1, Threads = 2 });
        var againErrors = NetworkComparison.Compare(again.Network, Teacher);
        Assert.True(againErrors.WError < 1e-6 && againErrors.AError < 1e-6 && againErrors.BError < 1e-6, $"{againErrors}");
        Assert.True(streamed.Queries >= 2 * n, $"{streamed.Queries} queries: every pass asks again");

        var check = OracleComparison.Compare(result.Network, new NetworkOracle<double>(Teacher));
        Assert.True(check.IsDepthTwoFit, $"{check}");
        Assert.Null(check.Warning);
        Assert.Equal(10_000, check.Queries);
    }

    [Fact]
    public void AnOracleThatIsNotThreadSafeIsNeverCalledConcurrently()
    {
        var oracle = new SingleThreadedOracle(Teacher);
        var source = new OracleSampleSource<double>(oracle, 100_000, seed: 3);
        ReluLearner.Learn(source, new LearnerOptions { Seed = 1, Threads = 4 }, LearnerMode.FullRank);
        Assert.Equal(0, oracle.Overlaps);
        Assert.True(oracle.Calls > 4);
    }

    [Fact]
    public void TheCheckWarnsWhenTheBoxIsNotTheModel()
    {
        var other = RandomTeacher.Create(new TeacherOptions(InputDim: 6, Hidden: 3), seed: 42);
        var check = OracleComparison.Compare(other, new NetworkOracle<double>(Teacher), queries: 2000);
        Assert.False(check.IsDepthTwoFit);
        Assert.Contains("not reproduced", check.Warning);
        Assert.Throws<ArgumentException>(() => OracleComparison.Compare(RandomTeacher.Create(new TeacherOptions(5, 2), 1),
            new NetworkOracle<double>(Teacher)));
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        var oracle = new NetworkOracle<double>(Teacher);
        Assert.Throws<ArgumentException>(() => new OracleSampleSource<double>(oracle, -1, 1));
        var source = new OracleSampleSource<double>(oracle, 10, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Read(5, new double[6 * 6], new double[6]));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Read(0, new double[5], new double[1]));
        Assert.Equal(0, source.Queries);
    }

    [Fact]
    public void ACacheLargerThanHalfTheMemoryIsRefusedBeforeItIsAllocated()
    {
        // relufast extract --queries N keeps 9 bytes per query: N = 2^31 - 57 asks for 19 GB, which used to be allocated (or fail
        // as out of memory, exit code 2) and then queried.
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long count = Array.MaxLength;
        if (count * 9L <= available / 2) return; // a machine with more than 39 GB to spare caches it
        var oracle = new NetworkOracle<double>(Teacher);
        var e = Assert.Throws<ArgumentException>(() => new OracleSampleSource<double>(oracle, count, 1, cacheResponses: true));
        Assert.Contains("more than half of the", e.Message, StringComparison.Ordinal);
        Assert.Contains("without the cache", e.Message, StringComparison.Ordinal);
    }

    private sealed class SingleThreadedOracle(ReluNetwork network) : IQueryOracle<double>
    {
        private int _inside;

        public int Overlaps;
        public int Calls;

        public int Dimension => network.InputDim;

        public bool IsThreadSafe => false;

        public void Query(ReadOnlySpan<double> x, Span<double> y)
        {
            if (Interlocked.Increment(ref _inside) != 1) Interlocked.Increment(ref Overlaps);
            Calls++;
            Thread.SpinWait(2000); // widen the window a concurrent call would hit
            network.Evaluate(x, y);
            Interlocked.Decrement(ref _inside);
        }
    }
}
