using System.Globalization;
using System.Text;
using ReluFast.IO;
using ReluFast.Sampling;

namespace ReluFast.Tests.IO;

public class CsvTests
{
    private static string Write(TempDirectory dir, string text, string name = "data.csv")
    {
        string path = dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void TargetColumnIsYAndEveryColumnNotIgnoredIsX()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, "id,x0,y,x1,note\nr1,1.5,10,-2,\"hello, world\"\nr2,2.5e-3,20,3,\"\"\nr3,-0,30,4.25,x\n");
        // Issue 18: no silent choice of columns from row 1; a text column is an error until it is ignored.
        var e = Assert.Throws<ReluFastDataException>(() => CsvSampleReader.Load<double>(path, "y"));
        Assert.Contains("data row 1, column 'id' holds 'r1', which is not a number", e.Message);
        var ignore = new CsvReadOptions { IgnoreColumns = ["id", "note"] };
        var source = CsvSampleReader.Load<double>(path, "y", ignore);
        Assert.Equal(2, source.Dimension);
        Assert.Equal(3, source.Count);
        Assert.Equal([1.5, -2, 2.5e-3, 3, -0.0, 4.25], source.X.ToArray());
        Assert.Equal([10.0, 20, 30], source.Y.ToArray());
        Assert.Equal(path, source.Name);
        var layout = CsvSampleReader.ReadLayout(path, "y", ignore);
        Assert.Equal(["x0", "x1"], layout.FeatureColumns);
        Assert.Equal(["id", "note"], layout.SkippedColumns);
    }

    [Fact]
    public void ChosenColumnsInTheirOrderAndOtherDelimiters()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, "a;b;c;t\n1;2;3;4\n5;6;7;8\n");
        var source = CsvSampleReader.Load<float>(path, "t", new CsvReadOptions { FeatureColumns = ["c", "a"] });
        Assert.Equal([3f, 1, 7, 5], source.X.ToArray());
        Assert.Equal([4f, 8], source.Y.ToArray());
        string tabs = Write(dir, "a\tt\n1\t2\n", "tabs.tsv");
        Assert.Equal([2.0], CsvSampleReader.Load<double>(tabs, "t", new CsvReadOptions { Delimiter = '\t' }).Y.ToArray());
        Assert.Equal([2.0], CsvSampleReader.Load<double>(tabs, "t").Y.ToArray());
    }

    [Fact]
    public void ConvertsToNpyThatMatchesTheInMemoryLoad()
    {
        using var dir = new TempDirectory();
        var rng = new Random(3);
        var sb = new StringBuilder("x0,x1,x2,y\n");
        const int n = 10_000; // more than one block of rows
        for (int i = 0; i < n; i++)
        {
            double a = rng.NextDouble(), b = rng.NextDouble() - 0.5, c = rng.NextDouble() * 1e6;
            sb.Append(CultureInfo.InvariantCulture, $"{a:R},{b:R},{c:R},{a + b:R}\n");
        }
        string csv = Write(dir, sb.ToString());
        string x = dir.File("x.npy"), y = dir.File("y.npy");
        var progress = new List<long>();
        var result = CsvConverter.ToNpy(csv, "y", x, y, progress: new SyncProgress(progress.Add));
        Assert.Equal(n, result.Rows);
        Assert.Equal(["x0", "x1", "x2"], result.Layout.FeatureColumns);
        Assert.Equal(n, progress[^1]);
        var loaded = CsvSampleReader.Load<double>(csv, "y");
        using var streamed = NpySampleSource<double>.Open(x, y);
        Assert.Equal(3, streamed.Dimension);
        Assert.Equal(n, streamed.Count);
        var bx = new double[n * 3];
        var by = new double[n];
        streamed.Read(0, bx, by);
        Assert.Equal(loaded.X.ToArray(), bx);
        Assert.Equal(loaded.Y.ToArray(), by);
        Assert.Equal(["data.csv", "x.npy", "y.npy"], dir.Files().Order().ToArray());
    }

    [Fact]
    public void FailedConversionLeavesNoFiles()
    {
        using var dir = new TempDirectory();
        var sb = new StringBuilder("x,y\n");
        for (int i = 0; i < 9000; i++) sb.Append(i).Append(',').Append(i).Append('\n');
        sb.Append("oops,1\n");
        string csv = Write(dir, sb.ToString());
        var e = Assert.Throws<ReluFastDataException>(() => CsvConverter.ToNpy(csv, "y", dir.File("x.npy"), dir.File("y.npy")));
        Assert.Contains("data row 9001, column 'x'", e.Message);
        Assert.Equal(["data.csv"], dir.Files());

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        string good = Write(dir, "x,y\n1,2\n", "good.csv");
        Assert.Throws<OperationCanceledException>(() => CsvConverter.ToNpy(good, "y", dir.File("x.npy"), dir.File("y.npy"),
            cancellationToken: cts.Token));
        Assert.Equal(["data.csv", "good.csv"], dir.Files().Order().ToArray());
    }

    [Theory]
    [InlineData("a,b,c\n1,2,3\n", "target", "no target column 'target'", "'a', 'b', 'c'")]
    [InlineData("a,b,c\n1,2,3\n", "c", "no input column 'z'", "'a', 'b', 'c'")]
    [InlineData("a,b,c\n1,2,3\n4,5\n", "c", "data row 2 has 2 fields but the header has 3", "ragged")]
    [InlineData("a,b,c\n1,2,3\n4,5,6,7\n", "c", "data row 2 has 4 fields but the header has 3", "ragged")]
    [InlineData("a,b,c\n1,2,3\n4,five,6\n", "c", "data row 2, column 'b' holds 'five'", "not a number")]
    [InlineData("a,b,c\n1,2,3\n4,,6\n", "c", "data row 2, column 'b' is empty", "number")]
    [InlineData("a,b,c\n1,2,3\n4,NaN,6\n", "c", "data row 2, column 'b' holds 'NaN'", "finite")]
    [InlineData("a,b,c\n1,2,3\n4,5,-Infinity\n", "c", "data row 2, column 'c' holds '-Infinity'", "finite")]
    [InlineData("a,b,c\n", "c", "no data rows", "header")]
    [InlineData("", "c", "empty", "header")]
    [InlineData("name,c\nbob,3\n", "c", "data row 1, column 'name' holds 'bob'", "not a number")]
    [InlineData("c\n3\n", "c", "no inputs", "'c'")]
    [InlineData("a,b,c\n1,2,x\n", "c", "data row 1, column 'c' holds 'x'", "not a number")]
    public void BadCsvNamesTheFileAndProblem(string text, string target, string problem, string detail)
    {
        using var dir = new TempDirectory();
        string path = Write(dir, text);
        var options = problem.Contains("'z'") ? new CsvReadOptions { FeatureColumns = ["a", "z"] } : null;
        var e = Assert.Throws<ReluFastDataException>(() => CsvSampleReader.Load<double>(path, target, options));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Contains(detail, e.Message);
        var e2 = Assert.Throws<ReluFastDataException>(() => CsvConverter.ToNpy(path, target, dir.File("x.npy"), dir.File("y.npy"), options));
        Assert.Equal(e.Message, e2.Message);
        Assert.Equal(["data.csv"], dir.Files());
    }

    [Fact]
    public void BlankLinesAreSkipped()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, "a,b\r\n\r\n1,2\r\n\r\n3,4\r\n\r\n");
        var source = CsvSampleReader.Load<double>(path, "b");
        Assert.Equal([1.0, 3], source.X.ToArray());
        Assert.Equal([2.0, 4], source.Y.ToArray());
    }

    [Fact]
    public void UnclosedQuoteIsReported()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, "a,b\n1,\"2\n");
        var e = Assert.Throws<ReluFastDataException>(() => CsvSampleReader.Load<double>(path, "b"));
        Assert.Contains("malformed", e.Message);
    }

    [Fact]
    public void TargetCannotAlsoBeAnInput()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, "a,b\n1,2\n");
        var e = Assert.Throws<ReluFastDataException>(() => CsvSampleReader.Load<double>(path, "b",
            new CsvReadOptions { FeatureColumns = ["a", "b"] }));
        Assert.Contains("cannot also be an input", e.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<ReluFastDataException>(() => CsvSampleReader.Load<double>(dir.File("none.csv"), "y"));
        Assert.Contains("does not exist", e.Message);
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
