using ReluFast.Cli.Infrastructure;
using ReluFast.IO;

namespace ReluFast.Tests.Cli;

/// <summary>The top-level error handler: exit codes by kind of error, one line, stack trace only on request.</summary>
public class ErrorReporterTests
{
    [Theory]
    [InlineData(typeof(ReluFastDataException), 1)]
    [InlineData(typeof(ArgumentException), 1)]
    [InlineData(typeof(FileNotFoundException), 1)]
    [InlineData(typeof(CliUsageException), 1)]
    [InlineData(typeof(OperationCanceledException), 130)]
    [InlineData(typeof(InvalidOperationException), 2)]
    [InlineData(typeof(NullReferenceException), 2)]
    public void ClassifiesByKind(Type kind, int expected)
    {
        Exception e = kind == typeof(ReluFastDataException) ? new ReluFastDataException("f.npy", "bad.")
            : (Exception)Activator.CreateInstance(kind, "boom")!;
        Assert.Equal(expected, ErrorReporter.Classify(e));
        Assert.Equal(expected, ErrorReporter.Classify(new AggregateException(e)));
        // Parallel work (one pencil per candidate) fails once per worker on the same bad input: still that input's code.
        Exception again = kind == typeof(ReluFastDataException) ? new ReluFastDataException("f.npy", "bad.")
            : (Exception)Activator.CreateInstance(kind, "boom")!;
        Assert.Equal(expected, ErrorReporter.Classify(new AggregateException(e, again)));
    }

    [Fact]
    public void AnAggregateOfDifferentKindsIsAFailure()
    {
        var mixed = new AggregateException(new ArgumentException("bad input"), new InvalidOperationException("a bug"));
        Assert.Equal(2, ErrorReporter.Classify(mixed));
    }

    [Fact]
    public void PrintsOneLineAndTheStackTraceOnlyInDebugMode()
    {
        Exception thrown;
        try { throw new InvalidOperationException("it broke"); } catch (InvalidOperationException e) { thrown = e; }
        var quiet = new StringWriter();
        Assert.Equal(2, ErrorReporter.Report(thrown, quiet, debug: false));
        Assert.Equal("error: it broke" + Environment.NewLine, quiet.ToString());
        var debug = new StringWriter();
        ErrorReporter.Report(thrown, debug, debug: true);
        Assert.Contains("   at ", debug.ToString());
        Assert.StartsWith("error: it broke", debug.ToString());
    }

    [Fact]
    public void ArgumentExceptionsLoseTheCSharpParameterName()
    {
        var error = new StringWriter();
        Assert.Equal(1, ErrorReporter.Report(new ArgumentException("c1 is too large.", "c1"), error, debug: false));
        Assert.Equal("error: c1 is too large." + Environment.NewLine, error.ToString());
    }
}
