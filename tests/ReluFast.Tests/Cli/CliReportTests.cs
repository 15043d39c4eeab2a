using ReluFast.IO;
using ReluFast.Model;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary><c>relufast report</c> renders its plots headless (ScottPlot on SkiaSharp's bundled natives).</summary>
public class CliReportTests
{
    [Fact]
    public void WritesPngAndSelfContainedHtml()
    {
        using var dir = new TempDirectory();
        var teacher = RandomTeacher.Create(new TeacherOptions(4, 2), 5);
        NetworkJson.Write(teacher, dir.File("teacher.json"));
        // A slightly wrong model, so the scatter is not all on the diagonal.
        var model = new ReluNetwork(4, [teacher.A[0] * 1.05, teacher.A[1]], teacher.W, [teacher.B[0], teacher.B[1] + 0.1]);
        NetworkJson.Write(model, dir.File("model.json"));
        Cli.Run("report", "--teacher", dir.File("teacher.json"), "--model", dir.File("model.json"), "--samples", "40000",
            "--samples-sweep", "--sweep-counts", "10000", "20000", "40000", "--out", dir.File("report.png")).Succeeded();
        byte[] png = File.ReadAllBytes(dir.File("report.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.True(png.Length > 20_000, $"PNG of {png.Length} bytes");

        var run = Cli.Run("report", "--teacher", dir.File("teacher.json"), "--model", dir.File("model.json"), "--samples", "20000", "--out",
            dir.File("report.html")).Succeeded();
        Assert.Contains("report.html", run.Output);
        string html = File.ReadAllText(dir.File("report.html"));
        Assert.Equal(2, html.Split("data:image/png;base64,").Length - 1);
        Assert.Contains("T_2 spectrum", html);
        Assert.DoesNotContain("http", html);
        Assert.Equal(["model.json", "report.html", "report.png", "teacher.json"], dir.Files().Order().ToArray());
    }
}
