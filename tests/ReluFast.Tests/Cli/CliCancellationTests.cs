using System.Numerics;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary>
/// Ctrl-C in the middle of the work, not before it: a generate cancelled once its first chunk is on disk, and a learner
/// cancelled after the first block of a pass, stop at the next block and leave no file.
/// </summary>
public sealed class CliCancellationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void GenerateCancelledInTheMiddleOfWritingLeavesNoFile()
    {
        // 3*10^7 rows of d = 2 in float32 are 360 MB and about 11 chunks: the token is cancelled once a file in the folder
        // holds a first chunk (1 MB or more), long before the end.
        string fresh = Path.Combine(_dir.Path, "fresh"), existing = Path.Combine(_dir.Path, "existing");
        Directory.CreateDirectory(existing);
        File.WriteAllText(Path.Combine(existing, "keep.txt"), "a file of the user's");
        foreach (string folder in new[] { fresh, existing })
        {
            using var cancel = new CancellationTokenSource();
            long seen = 0, most = 0;
            bool done = false;
            var watcher = new Thread(() =>
            {
                while (!Volatile.Read(ref done))
                {
                    long written;
                    try { written = Directory.Exists(folder) ? new DirectoryInfo(folder).EnumerateFiles().Sum(f => f.Length) : 0; }
                    catch (IOException) { written = 0; } // a file deleted between listing and reading its length
                    most = Math.Max(most, written);
                    if (written >= 1 << 20 && !cancel.IsCancellationRequested)
                    {
                        seen = written;
                        cancel.Cancel();
                    }
                    Thread.Sleep(1);
                }
            }) { IsBackground = true };
            watcher.Start();
            var run = Cli.Run(cancel.Token, "generate", "--dim", "2", "--hidden", "1", "--samples", "30000000", "--seed", "1",
                "--dtype", "float32", "--out", folder);
            Volatile.Write(ref done, true);
            watcher.Join();
            Assert.True(run.ExitCode == 130, $"exit code {run.ExitCode} (cancelled with {seen} bytes on disk)\n{run.Output}\n{run.Error}");
            Assert.True(seen >= 1 << 20, "the cancellation came before any sample was written");
            // Stopped at the next chunk (about 33 MB of x and y; two in flight), not after writing all 360 MB and deleting them.
            Assert.True(most < 100 << 20, $"{most} bytes were on disk at the most: generate did not stop at its next chunk");
            Assert.Contains("cancelled", run.Error);
            run.NoStackTrace();
        }
        Assert.False(Directory.Exists(fresh), "generate created the folder and left it behind");
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(existing).Select(p => Path.GetFileName(p)!).ToArray());
    }

    /// <summary>Cancels the token on the first read at or after sample <paramref name="from"/>, and counts the samples read after that.</summary>
    private sealed class CancellingSource<T>(ISampleSource<T> inner, long from, CancellationTokenSource cancel) : ISampleSource<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public long ReadAfterCancel;
        public int Dimension => inner.Dimension;
        public long Count => inner.Count;

        public void Read(long start, Span<T> x, Span<T> y)
        {
            bool cancelled = cancel.IsCancellationRequested;
            inner.Read(start, x, y);
            if (cancelled) Interlocked.Add(ref ReadAfterCancel, y.Length);
            else if (start >= from) cancel.Cancel();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALearnerCancelledAfterTheFirstBlockOfAPassStopsAtTheNextBlock(bool overcomplete)
    {
        // Pass 1 on 2 threads: thread 1 starts at sample N/2, far beyond the in-memory prefix the learner reads first, so its
        // first read is the first block of a real pass. The token is cancelled there; every thread finishes at most the block
        // it is in (4096 samples) and reads nothing more.
        const long n = 2_000_000;
        var teacher = RandomTeacher.Create(new TeacherOptions(6, overcomplete ? 8 : 4, BiasRange: 1), 3);
        using var cancel = new CancellationTokenSource();
        var source = new CancellingSource<double>(new TeacherSampleSource<double>(teacher, n, 4), n / 2, cancel);
        var options = new LearnerOptions { Seed = 1, Threads = 2 };
        var mode = overcomplete ? LearnerMode.Overcomplete : LearnerMode.FullRank;
        Assert.ThrowsAny<OperationCanceledException>(() => ReluLearner.Learn(source, options, mode, cancellationToken: cancel.Token));
        Assert.True(cancel.IsCancellationRequested, "no read reached the second half: the pass did not run on 2 threads");
        Assert.True(source.ReadAfterCancel <= 2 * 4096, $"{source.ReadAfterCancel} samples were read after the cancellation");
    }
}
