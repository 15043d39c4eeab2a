using ReluFast.IO;
using ReluFast.Sampling;
using ReluFast.Tests.Moments;

namespace ReluFast.Tests.IO;

public class NpyFileReaderTests
{
    private const int Rows = 3001, Cols = 7;

    [Theory]
    [InlineData(NpyDType.Float64, false)]
    [InlineData(NpyDType.Float32, false)]
    [InlineData(NpyDType.Float64, true)]
    [InlineData(NpyDType.Float32, true)]
    public void RowRangesEqualTheWholeReadInBothElementTypes(NpyDType dtype, bool fortran)
    {
        using var dir = new TempDirectory();
        string path = dir.File("x.npy");
        NpyWriter.Write<double>(path, TestData.Doubles(Rows * Cols, 5), [Rows, Cols], dtype, fortran);
        double[] whole = NpyReader.ReadDouble(path).Data;
        float[] wholeF = NpyReader.ReadSingle(path).Data;
        using var reader = NpyFileReader.Open(path);
        Assert.Equal(Rows, reader.Rows);
        Assert.Equal(Cols, reader.Columns);
        foreach (var (start, n) in new[] { (0, 1), (0, Rows), (17, 1000), (Rows - 5, 5), (1234, 0), (2000, 1001) })
        {
            var d = new double[n * Cols];
            reader.ReadRows<double>(start, d);
            Assert.Equal(whole.AsSpan(start * Cols, n * Cols).ToArray(), d);
            var f = new float[n * Cols];
            reader.ReadRows<float>(start, f);
            Assert.Equal(wholeF.AsSpan(start * Cols, n * Cols).ToArray(), f);
        }
    }

    [Fact]
    public void ReadsFromManyThreadsAtOnceEqualTheWholeRead()
    {
        using var dir = new TempDirectory();
        string x = dir.File("x.npy"), y = dir.File("y.npy");
        const int n = 20_000, d = 5;
        NpyWriter.WriteMatrix<double>(x, TestData.Doubles(n * d, 6), n, d, NpyDType.Float32);
        NpyWriter.WriteVector<double>(y, TestData.Doubles(n, 7));
        double[] wx = NpyReader.ReadDouble(x).Data, wy = NpyReader.ReadDouble(y).Data;
        using var source = NpySampleSource<double>.Open(x, y);
        var gotX = new double[n * d];
        var gotY = new double[n];
        // Many threads, each reading interleaved blocks of various sizes, each into its own region.
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, block =>
        {
            for (int start = block * 37; start < n; start += 64 * 37)
            {
                int len = Math.Min(37, n - start);
                source.Read(start, gotX.AsSpan(start * d, len * d), gotY.AsSpan(start, len));
            }
        });
        Assert.Equal(wx, gotX);
        Assert.Equal(wy, gotY);
    }

    [Theory]
    [InlineData(NpyDType.Float64, false)]
    [InlineData(NpyDType.Float32, false)]
    [InlineData(NpyDType.Float64, true)]
    public void NpySampleSourceReadDoesNotAllocateAfterWarmUp(NpyDType dtype, bool fortran)
    {
        using var dir = new TempDirectory();
        string x = dir.File("x.npy"), y = dir.File("y.npy");
        const int n = 4096, d = 8;
        NpyWriter.Write<double>(x, TestData.Doubles(n * d, 8), [n, d], dtype, fortran);
        NpyWriter.Write<double>(y, TestData.Doubles(n, 9), [n, 1], dtype);
        using var source = NpySampleSource<double>.Open(x, y);
        using var sourceF = NpySampleSource<float>.Open(x, y);
        var bx = new double[512 * d];
        var by = new double[512];
        var fx = new float[512 * d];
        var fy = new float[512];
        for (int i = 0; i < 3; i++) { source.Read(i * 512, bx, by); sourceF.Read(i * 512, fx, fy); }
        int call = 0;
        Assert.Equal(0, MomentTestData.SteadyStateAllocatedBytes(() =>
        {
            int i = call++ % 8;
            source.Read(i * 512, bx, by);
            sourceF.Read(i * 512, fx, fy);
        }, 8));
    }

    [Fact]
    public void ReadOutsideTheFileIsRefused()
    {
        using var dir = new TempDirectory();
        string path = dir.File("x.npy");
        NpyWriter.WriteMatrix<double>(path, new double[10 * 3], 10, 3);
        using var reader = NpyFileReader.Open(path);
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadRows<double>(8, new double[9]));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadRows<double>(-1, new double[3]));
        Assert.Throws<ArgumentException>(() => reader.ReadRows<double>(0, new double[4]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FindsTheFirstNonFiniteValueByRow(bool fortran)
    {
        using var dir = new TempDirectory();
        string path = dir.File("x.npy");
        const int n = 100_000, d = 4;
        double[] data = TestData.Doubles(n * d, 10);
        data[70_000 * d + 1] = double.NaN;
        data[50_000 * d + 3] = double.NegativeInfinity;
        data[90_000 * d + 0] = double.PositiveInfinity;
        NpyWriter.Write<double>(path, data, [n, d], fortranOrder: fortran);
        using var reader = NpyFileReader.Open(path);
        var bad = reader.FindNonFinite();
        Assert.NotNull(bad);
        Assert.Equal(50_000, bad.Value.Row);
        Assert.Equal(3, bad.Value.Column);
        Assert.Equal(double.NegativeInfinity, bad.Value.Value);
        Assert.Equal(path, bad.Value.Source);
    }
}
