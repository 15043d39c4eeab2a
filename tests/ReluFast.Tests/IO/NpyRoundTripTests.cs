using ReluFast.IO;

namespace ReluFast.Tests.IO;

public class NpyRoundTripTests
{
    [Theory]
    [InlineData(NpyDType.Float64, false)]
    [InlineData(NpyDType.Float64, true)]
    [InlineData(NpyDType.Float32, false)]
    [InlineData(NpyDType.Float32, true)]
    public void DoubleMatrixRoundTripsInEveryDTypeAndOrder(NpyDType dtype, bool fortran)
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.npy");
        double[] data = TestData.Doubles(7 * 5, 1);
        NpyWriter.Write<double>(path, data, [7, 5], dtype, fortran);
        var header = NpyReader.ReadHeader(path);
        Assert.Equal(dtype, header.DType);
        Assert.Equal(fortran, header.FortranOrder);
        Assert.Equal(new FileInfo(path).Length, header.DataOffset + header.DataLength);

        var back = NpyReader.Read<double>(path);
        Assert.Equal([7L, 5L], back.Shape.ToArray());
        double[] expected = dtype == NpyDType.Float64 ? data : data.Select(v => (double)(float)v).ToArray();
        Assert.Equal(expected, back.Data);

        var asFloat = NpyReader.Read<float>(path);
        Assert.Equal(data.Select(v => (float)v).ToArray(), asFloat.Data);
    }

    [Theory]
    [InlineData(NpyDType.Float64)]
    [InlineData(NpyDType.Float32)]
    public void FloatVectorRoundTrips(NpyDType dtype)
    {
        using var dir = new TempDirectory();
        string path = dir.File("v.npy");
        float[] data = TestData.Floats(1001, 2);
        NpyWriter.WriteVector<float>(path, data, dtype);
        var back = NpyReader.ReadSingle(path);
        Assert.Equal(1, back.Rank);
        Assert.Equal(1001, back.Rows);
        Assert.Equal(data, back.Data);
    }

    [Fact]
    public void FortranFileIsStoredColumnMajor()
    {
        using var dir = new TempDirectory();
        string path = dir.File("f.npy");
        NpyWriter.Write<double>(path, [1, 2, 3, 4, 5, 6], [2, 3], fortranOrder: true);
        var header = NpyReader.ReadHeader(path);
        byte[] raw = File.ReadAllBytes(path)[(int)header.DataOffset..];
        double[] stored = new double[6];
        Buffer.BlockCopy(raw, 0, stored, 0, 48);
        Assert.Equal([1.0, 4, 2, 5, 3, 6], stored);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], NpyReader.ReadDouble(path).Data);
    }

    [Fact]
    public void ReadsAHandMadeFortranFileByTransposing()
    {
        using var dir = new TempDirectory();
        string path = dir.File("hand.npy");
        // [[1, 2, 3], [4, 5, 6]] stored column-major.
        float[] columnMajor = [1, 4, 2, 5, 3, 6];
        byte[] data = new byte[24];
        Buffer.BlockCopy(columnMajor, 0, data, 0, 24);
        File.WriteAllBytes(path, TestData.HandMadeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data));
        Assert.Equal([1.0, 2, 3, 4, 5, 6], NpyReader.ReadDouble(path).Data);
    }

    [Fact]
    public void StreamWriterWritesBlocksThatReadBackWhole()
    {
        using var dir = new TempDirectory();
        string path = dir.File("s.npy");
        double[] data = TestData.Doubles(1000 * 3, 3);
        using (var w = NpyStreamWriter.Create(path, NpyDType.Float32, 1000, 3))
        {
            for (int i = 0; i < 1000; i += 250) w.WriteRows<double>(data.AsSpan(i * 3, 250 * 3));
            Assert.False(File.Exists(path)); // not visible until complete
            w.Complete();
        }
        Assert.True(File.Exists(path));
        Assert.Equal(["s.npy"], dir.Files());
        var back = NpyReader.Read<float>(path);
        Assert.Equal([1000L, 3L], back.Shape.ToArray());
        Assert.Equal(data.Select(v => (float)v).ToArray(), back.Data);
        // The same bytes as a whole-array write.
        string whole = dir.File("w.npy");
        NpyWriter.WriteMatrix<double>(whole, data, 1000, 3, NpyDType.Float32);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(path));
    }

    [Fact]
    public void GrowableWriterRecordsTheFinalRowCountInPlace()
    {
        using var dir = new TempDirectory();
        string path = dir.File("g.npy");
        float[] data = TestData.Floats(12345, 4);
        using (var w = NpyStreamWriter.CreateGrowable(path, NpyDType.Float64))
        {
            w.WriteRows<float>(data.AsSpan(0, 5000));
            w.WriteRows<float>(data.AsSpan(5000));
            w.Complete();
        }
        var back = NpyReader.Read<float>(path);
        Assert.Equal([12345L], back.Shape.ToArray());
        Assert.Equal(data, back.Data);
        string whole = dir.File("w.npy");
        NpyWriter.WriteVector<float>(whole, data, NpyDType.Float64);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(path));
    }

    [Fact]
    public void AbandonedStreamWriterLeavesNoFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("cancelled.npy");
        using (var w = NpyStreamWriter.Create(path, NpyDType.Float64, 100, 2))
            w.WriteRows<double>(new double[20]);
        Assert.Empty(dir.Files());
    }

    [Fact]
    public void StreamWriterRefusesTheWrongRowCount()
    {
        using var dir = new TempDirectory();
        using var w = NpyStreamWriter.Create(dir.File("x.npy"), NpyDType.Float64, 2, 2);
        Assert.Throws<ArgumentException>(() => w.WriteRows<double>(new double[3]));
        Assert.Throws<InvalidOperationException>(() => w.WriteRows<double>(new double[6]));
        w.WriteRows<double>(new double[2]);
        Assert.Throws<InvalidOperationException>(() => w.Complete());
    }

    [Fact]
    public void EmptyArrayRoundTrips()
    {
        using var dir = new TempDirectory();
        string path = dir.File("e.npy");
        NpyWriter.Write<double>(path, [], [0, 4]);
        var back = NpyReader.ReadDouble(path);
        Assert.Equal([0L, 4L], back.Shape.ToArray());
        Assert.Empty(back.Data);
    }
}
