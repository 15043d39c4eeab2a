using System.Text;
using ReluFast.IO;
using ReluFast.Sampling;

namespace ReluFast.Tests.IO;

/// <summary>Every malformed .npy/.npz input gives a ReluFastDataException naming the file and the problem.</summary>
public class NpyBadInputTests
{
    private const string GoodDict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";

    private static ReluFastDataException ReadFails(string path, params string[] phrases)
    {
        var e1 = Assert.Throws<ReluFastDataException>(() => NpyReader.ReadDouble(path));
        var e2 = Assert.Throws<ReluFastDataException>(() => NpyFileReader.Open(path).Dispose());
        foreach (var e in new[] { e1, e2 })
        {
            Assert.Equal(path, e.FilePath);
            Assert.StartsWith(path + ": ", e.Message);
            foreach (string p in phrases) Assert.Contains(p, e.Message);
        }
        return e1;
    }

    private static string WriteFile(TempDirectory dir, string name, byte[] bytes)
    {
        string path = dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void NotAnNpyFile()
    {
        using var d = new TempDirectory();
        ReadFails(WriteFile(d, "a.npy", Encoding.ASCII.GetBytes("x0,x1,y\n1,2,3\n")), "not a NumPy .npy file", "magic");
    }

    [Fact]
    public void EmptyFile() { using var d = new TempDirectory(); ReadFails(WriteFile(d, "a.npy", []), "empty"); }

    [Fact]
    public void MissingFile() { using var d = new TempDirectory(); ReadFails(d.File("nope.npy"), "does not exist"); }

    [Fact]
    public void TruncatedInTheMagic()
    {
        using var d = new TempDirectory();
        ReadFails(WriteFile(d, "a.npy", [0x93, (byte)'N', (byte)'U']), "truncated");
    }

    [Fact]
    public void TruncatedInTheHeader()
    {
        using var d = new TempDirectory();
        byte[] full = TestData.HandMadeNpy(GoodDict, new byte[48]);
        ReadFails(WriteFile(d, "a.npy", full[..50]), "truncated", "header");
    }

    [Fact]
    public void TruncatedData()
    {
        using var d = new TempDirectory();
        byte[] full = TestData.HandMadeNpy(GoodDict, new byte[48]);
        var e = ReadFails(WriteFile(d, "a.npy", full[..^9]), "truncated", "(2, 3)");
        Assert.Contains("39 bytes", e.Message);
    }

    [Theory]
    [InlineData("<i8", "64-bit signed integer")]
    [InlineData(">f8", "big-endian 64-bit floating point")]
    [InlineData(">f4", "big-endian 32-bit floating point")]
    [InlineData("<f2", "16-bit floating point")]
    [InlineData("|b1", "boolean")]
    [InlineData("<c16", "complex")]
    [InlineData("<U5", "Unicode string")]
    [InlineData("<u4", "unsigned integer")]
    public void UnsupportedDTypeIsNamed(string descr, string kind)
    {
        using var d = new TempDirectory();
        string path = WriteFile(d, "a.npy", TestData.HandMadeNpy($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}", new byte[64]));
        ReadFails(path, $"'{descr}'", kind, "'<f8'");
    }

    [Fact]
    public void ObjectArray()
    {
        using var d = new TempDirectory();
        string path = WriteFile(d, "a.npy", TestData.HandMadeNpy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", new byte[16]));
        ReadFails(path, "object array", "'|O'");
    }

    [Fact]
    public void StructuredArray()
    {
        using var d = new TempDirectory();
        string path = WriteFile(d, "a.npy",
            TestData.HandMadeNpy("{'descr': [('x', '<f8'), ('y', '<i4')], 'fortran_order': False, 'shape': (2,), }", new byte[24]));
        ReadFails(path, "structured", "('x', '<f8')");
    }

    [Fact]
    public void ThreeDimensionalArray()
    {
        using var d = new TempDirectory();
        string path = WriteFile(d, "a.npy", TestData.HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), }", new byte[192]));
        ReadFails(path, "3-D", "(2, 3, 4)");
    }

    [Fact]
    public void ScalarArray()
    {
        using var d = new TempDirectory();
        string path = WriteFile(d, "a.npy", TestData.HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", new byte[8]));
        ReadFails(path, "0-d");
    }

    [Theory]
    [InlineData("this is not a dict")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), ")]
    [InlineData("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2, 3), }")]
    [InlineData("{'descr': '<f8' 'fortran_order': False, 'shape': (2, 3), }")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } trailing")]
    [InlineData("\u0001\u0002\u0003")]
    public void GarbageHeader(string dict)
    {
        using var d = new TempDirectory();
        ReadFails(WriteFile(d, "a.npy", TestData.HandMadeNpy(dict, new byte[48])), "header");
    }

    [Theory]
    [InlineData("{'descr': '<f8', 'shape': (2, 3), }", "fortran_order")]
    [InlineData("{'fortran_order': False, 'shape': (2, 3), }", "descr")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, }", "shape")]
    [InlineData("{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 3), }", "fortran_order")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 'a'), }", "shape")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }", "negative")]
    public void HeaderWithMissingOrWrongEntries(string dict, string named)
    {
        using var d = new TempDirectory();
        ReadFails(WriteFile(d, "a.npy", TestData.HandMadeNpy(dict, new byte[48])), named);
    }

    [Fact]
    public void UnknownVersion()
    {
        using var d = new TempDirectory();
        byte[] bytes = TestData.HandMadeNpy(GoodDict, new byte[48]);
        bytes[6] = 4;
        ReadFails(WriteFile(d, "a.npy", bytes), "version 4.0");
    }

    [Fact]
    public void AbsurdHeaderLength()
    {
        using var d = new TempDirectory();
        byte[] bytes = TestData.HandMadeNpy(GoodDict, new byte[48], major: 2);
        bytes[11] = 0x7f;
        ReadFails(WriteFile(d, "a.npy", bytes), "corrupt");
    }

    [Fact]
    public void SampleFilesWithDifferentRowCountsNameBothFilesAndShapes()
    {
        using var d = new TempDirectory();
        string x = d.File("x.npy"), y = d.File("y.npy");
        NpyWriter.WriteMatrix<double>(x, new double[10 * 3], 10, 3);
        NpyWriter.WriteVector<double>(y, new double[9]);
        var e = Assert.Throws<ReluFastDataException>(() => NpySampleSource<double>.Open(x, y));
        Assert.Contains(x, e.Message);
        Assert.Contains(y, e.Message);
        Assert.Contains("(10, 3)", e.Message);
        Assert.Contains("(9,)", e.Message);
    }

    [Fact]
    public void SampleInputsMustBeTwoDimensionalWithColumns()
    {
        using var d = new TempDirectory();
        string x = d.File("x.npy"), y = d.File("y.npy"), x0 = d.File("x0.npy"), y2 = d.File("y2.npy");
        NpyWriter.WriteVector<double>(x, new double[10]);
        NpyWriter.WriteVector<double>(y, new double[10]);
        NpyWriter.WriteMatrix<double>(x0, [], 10, 0);
        NpyWriter.WriteMatrix<double>(y2, new double[20], 10, 2);
        var e1 = Assert.Throws<ReluFastDataException>(() => NpySampleSource<double>.Open(x, y));
        Assert.Equal(x, e1.FilePath);
        Assert.Contains("2-D", e1.Message);
        var e2 = Assert.Throws<ReluFastDataException>(() => NpySampleSource<double>.Open(x0, y));
        Assert.Contains("d = 0", e2.Message);
        NpyWriter.WriteMatrix<double>(x, new double[30], 10, 3);
        var e4 = Assert.Throws<ReluFastDataException>(() => NpySampleSource<double>.Open(x, y2));
        Assert.Equal(y2, e4.FilePath);
        Assert.Contains("(10, 2)", e4.Message);
    }

    [Fact]
    public void ValidateNamesTheFileRowAndColumnOfTheFirstNaN()
    {
        using var d = new TempDirectory();
        string x = d.File("x.npy"), y = d.File("y.npy");
        double[] xs = TestData.Doubles(1000 * 4, 1), ys = TestData.Doubles(1000, 2);
        ys[321] = double.NaN;
        xs[500 * 4 + 2] = double.PositiveInfinity;
        NpyWriter.WriteMatrix<double>(x, xs, 1000, 4, NpyDType.Float32);
        NpyWriter.WriteVector<double>(y, ys);
        using var source = NpySampleSource<double>.Open(x, y);
        var e = Assert.Throws<ReluFastDataException>(() => source.Validate());
        Assert.Equal(y, e.FilePath);
        Assert.Contains("row 321", e.Message);
        Assert.Contains("NaN", e.Message);
        ys[321] = 0;
        NpyWriter.WriteVector<double>(y, ys);
        using var source2 = NpySampleSource<double>.Open(x, y);
        var e2 = Assert.Throws<ReluFastDataException>(() => source2.Validate());
        Assert.Equal(x, e2.FilePath);
        Assert.Contains("row 500", e2.Message);
        Assert.Contains("column 2", e2.Message);
        Assert.Contains("infinity", e2.Message);
    }

    [Fact]
    public void NpzThatIsNotAZip()
    {
        using var d = new TempDirectory();
        string path = WriteFile(d, "a.npz", TestData.HandMadeNpy(GoodDict, new byte[48]));
        var e = Assert.Throws<ReluFastDataException>(() => NpzReader.ReadSamples<double>(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("zip", e.Message);
    }

    [Fact]
    public void NpzWithoutTheArrayListsWhatItHas()
    {
        using var d = new TempDirectory();
        string path = d.File("a.npz");
        using (var w = NpzWriter.Create(path))
        {
            w.Add<double>("inputs", new double[6], [2, 3]);
            w.Add<double>("y", new double[2], [2]);
            w.Complete();
        }
        var e = Assert.Throws<ReluFastDataException>(() => NpzReader.ReadSamples<double>(path));
        Assert.Contains("no array 'x'", e.Message);
        Assert.Contains("'inputs'", e.Message);
    }

    [Fact]
    public void NpzWithABadEntryNamesTheEntry()
    {
        using var d = new TempDirectory();
        string path = d.File("a.npz");
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("x.npy").Open())
                s.Write(TestData.HandMadeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }", new byte[48]));
            using (var s = zip.CreateEntry("y.npy").Open())
                s.Write(TestData.HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", new byte[16]));
        }
        var e = Assert.Throws<ReluFastDataException>(() => NpzReader.ReadSamples<double>(path));
        Assert.Equal($"{path}[x.npy]", e.FilePath);
        Assert.Contains("'<i8'", e.Message);
        // Truncated entry.
        string path2 = d.File("b.npz");
        using (var zip = System.IO.Compression.ZipFile.Open(path2, System.IO.Compression.ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("x.npy").Open()) s.Write(TestData.HandMadeNpy(GoodDict, new byte[40]));
        var e2 = Assert.Throws<ReluFastDataException>(() => NpzReader.ReadArray<double>(path2, "x"));
        Assert.Contains("truncated", e2.Message);
    }
}
