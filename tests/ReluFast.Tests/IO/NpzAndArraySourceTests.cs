using ReluFast.IO;
using ReluFast.Sampling;
using ReluFast.Tests.Moments;

namespace ReluFast.Tests.IO;

public class NpzAndArraySourceTests
{
    [Theory]
    [InlineData(false, NpyDType.Float64)]
    [InlineData(true, NpyDType.Float64)]
    [InlineData(false, NpyDType.Float32)]
    [InlineData(true, NpyDType.Float32)]
    public void NpzSamplesRoundTripStoredAndDeflated(bool compress, NpyDType dtype)
    {
        using var dir = new TempDirectory();
        string path = dir.File("s.npz");
        double[] x = TestData.Doubles(300 * 4, 1), y = TestData.Doubles(300, 2);
        NpzWriter.WriteSamples<double>(path, x, y, 300, 4, dtype, compress);
        Assert.Equal(["x", "y"], NpzReader.ListArrays(path).Order().ToArray());
        var source = NpzReader.ReadSamples<double>(path);
        Assert.Equal(4, source.Dimension);
        Assert.Equal(300, source.Count);
        Func<double, double> cast = dtype == NpyDType.Float64 ? v => v : v => (float)v;
        Assert.Equal(x.Select(cast).ToArray(), source.X.ToArray());
        Assert.Equal(y.Select(cast).ToArray(), source.Y.ToArray());
        var single = NpzReader.ReadArray<float>(path, "x");
        Assert.Equal([300L, 4L], single.Shape.ToArray());
        Assert.Equal(x.Select(v => (float)v).ToArray(), single.Data);
    }

    [Fact]
    public void StoredNpzEntriesAreUncompressedNpyFiles()
    {
        // np.load reads entries by name; a stored entry must hold the .npy bytes unchanged.
        using var dir = new TempDirectory();
        string path = dir.File("s.npz"), npy = dir.File("x.npy");
        double[] x = TestData.Doubles(40, 3);
        NpzWriter.WriteSamples<double>(path, x, x[..10], 10, 4);
        NpyWriter.WriteMatrix<double>(npy, x, 10, 4);
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        var entry = zip.GetEntry("x.npy")!;
        Assert.Equal(entry.Length, entry.CompressedLength);
        using var s = entry.Open();
        var ms = new MemoryStream();
        s.CopyTo(ms);
        Assert.Equal(File.ReadAllBytes(npy), ms.ToArray());
    }

    [Fact]
    public void ArraySourceReadsSlicesAndChecksShapes()
    {
        double[] x = [1, 2, 3, 4, 5, 6];
        double[] y = [10, 20, 30];
        var source = new ArraySampleSource<double>(x, y, 2);
        var bx = new double[4];
        var by = new double[2];
        source.Read(1, bx, by);
        Assert.Equal([3.0, 4, 5, 6], bx);
        Assert.Equal([20.0, 30], by);
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Read(2, bx, by));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Read(0, new double[3], by));
        Assert.Throws<ArgumentException>(() => new ArraySampleSource<double>(x, y, 3));
        Assert.Throws<ArgumentException>(() => new ArraySampleSource<double>(x, y, 0));
    }

    [Fact]
    public void ArraySourceReadDoesNotAllocate()
    {
        var source = new ArraySampleSource<float>(new float[1000 * 3], new float[1000], 3);
        var bx = new float[300];
        var by = new float[100];
        source.Read(0, bx, by);
        int call = 0;
        Assert.Equal(0, MomentTestData.SteadyStateAllocatedBytes(() => source.Read(call++ % 10 * 100, bx, by), 10));
    }

    [Fact]
    public void ArraySourceValidateNamesTheFirstBadValue()
    {
        double[] x = new double[40];
        double[] y = new double[10];
        new ArraySampleSource<double>(x, y, 4, "data.csv").Validate();
        x[7 * 4 + 1] = double.NaN;
        y[5] = double.PositiveInfinity;
        var e = Assert.Throws<ReluFastDataException>(() => new ArraySampleSource<double>(x, y, 4, "data.csv").Validate());
        Assert.Contains("data.csv", e.Message);
        Assert.Contains("row 5", e.Message);
        Assert.Contains("(y)", e.Message);
        y[5] = 0;
        var bad = new ArraySampleSource<double>(x, y, 4, "data.csv").FindNonFinite();
        Assert.Equal(7, bad!.Value.Row);
        Assert.Equal(1, bad.Value.Column);
    }
}
