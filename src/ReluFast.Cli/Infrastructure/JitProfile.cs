using System.Runtime;
using System.Security.Cryptography;
using System.Text;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// Multicore JIT for the tool (docs/passes.md, "The JIT on the first pass"). A run compiles its kernels on first use, one
/// method at a time while the other pass threads wait (about 0.5 s of a first learn; ReadyToRun cannot hold the learner's
/// float and double instantiations). Each successful command records the methods it compiled into a profile in the user's
/// cache folder, and the next run of the same command has the runtime compile them ahead of use on a background thread
/// (<see cref="ProfileOptimization"/>): the same machine code, so the same results, sooner.
/// </summary>
/// <remarks>
/// The profile lives in <c>$RELUFAST_JIT_PROFILE_DIR</c>, else <c>$XDG_CACHE_HOME/relufast/jit</c>, else
/// <c>~/.cache/relufast/jit</c> (the local application data folder on Windows); <c>RELUFAST_JIT_PROFILE=off</c> turns it off,
/// and so does an MPI launch (every rank would write the same file). Its name carries a hash of the tool's and the runtime's
/// versions, so a rebuilt or upgraded tool never replays another build's profile. A run records into a copy of its own and
/// renames it over the command's profile only when the command succeeded, so concurrent runs never leave a partial file
/// and a failed run never replaces a good profile; recordings of killed runs are removed after a day. A profile recorded on
/// other data (float32 instead of float64, another size) names methods this run does not call: they cost a background core
/// CPU, not elapsed time (measured). Runtime settings that change code generation (<c>DOTNET_TieredCompilation</c> and the like)
/// are part of the key too. Any failure to read or write the folder leaves the command as it was.
/// </remarks>
internal sealed class JitProfile
{
    /// <summary>Set to <c>off</c>, <c>0</c> or <c>false</c> to run without a profile.</summary>
    public const string SwitchVariable = "RELUFAST_JIT_PROFILE";

    /// <summary>The folder of the profiles, instead of the user's cache folder.</summary>
    public const string FolderVariable = "RELUFAST_JIT_PROFILE_DIR";

    private readonly string _folder;
    private readonly string _command;
    private readonly string _name;
    private readonly string _recording;

    private JitProfile(string folder, string command, string name, string recording)
    {
        _folder = folder;
        _command = command;
        _name = name;
        _recording = recording;
    }

    /// <summary>
    /// Starts the profile of the command named by <paramref name="args"/> (its first argument, a lower-case word): the runtime
    /// compiles what the last successful run of it recorded and records this run. Null when there is none to start.
    /// </summary>
    public static JitProfile? Start(string[] args)
    {
        try
        {
            if (args.Length == 0 || !IsCommandName(args[0]) || Environment.ProcessorCount < 2) return null;
            if (Environment.GetEnvironmentVariable(SwitchVariable)?.Trim().ToLowerInvariant() is "off" or "0" or "false") return null;
            if (ReluFast.Interop.Mpi.MpiSession.IsLaunchedByMpi) return null;
            string? folder = Folder();
            if (folder is null) return null;
            Directory.CreateDirectory(folder);
            RemoveAbandonedRecordings(folder);
            string name = $"{args[0]}-{BuildKey()}.jitprofile";
            string recording = $"{name}.{Environment.ProcessId}";
            string saved = Path.Combine(folder, name);
            if (File.Exists(saved)) File.Copy(saved, Path.Combine(folder, recording), overwrite: true);
            ProfileOptimization.SetProfileRoot(folder);
            ProfileOptimization.StartProfile(recording);
            return new JitProfile(folder, args[0], name, recording);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // a profile is an optimisation: whatever keeps it from starting (the folder, the file system, the runtime) leaves
            // the command to run as it would without one
            return null;
        }
    }

    /// <summary>Stops recording; the recording becomes the command's profile when <paramref name="succeeded"/>.</summary>
    public void Stop(bool succeeded)
    {
        string recording = Path.Combine(_folder, _recording);
        try
        {
            ProfileOptimization.StartProfile(null); // stops the recording and writes it
            if (succeeded && File.Exists(recording))
            {
                File.Move(recording, Path.Combine(_folder, _name), overwrite: true);
                // profiles of other builds of this command are never read again
                foreach (string stale in Directory.EnumerateFiles(_folder, $"{_command}-*.jitprofile"))
                    if (!string.Equals(Path.GetFileName(stale), _name, StringComparison.Ordinal)) File.Delete(stale);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // a profile is an optimisation: the command's result stands without it
        }
        finally
        {
            try { File.Delete(recording); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Deletes the recordings of runs that were killed before they could remove their own (a day old or more).</summary>
    private static void RemoveAbandonedRecordings(string folder)
    {
        DateTime limit = DateTime.UtcNow.AddDays(-1);
        foreach (string file in Directory.EnumerateFiles(folder, "*.jitprofile.*"))
        {
            try
            {
                if (File.GetLastWriteTimeUtc(file) < limit) File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static bool IsCommandName(string word) => word.Length is > 0 and <= 32 && word.All(c => c is >= 'a' and <= 'z');

    private static string? Folder()
    {
        string? folder = Environment.GetEnvironmentVariable(FolderVariable);
        if (!string.IsNullOrWhiteSpace(folder)) return folder;
        if (OperatingSystem.IsWindows())
        {
            string local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            return local.Length == 0 ? null : Path.Combine(local, "relufast", "jit");
        }
        string? cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrWhiteSpace(cache))
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (home.Length == 0) return null;
            cache = Path.Combine(home, ".cache");
        }
        return Path.Combine(cache, "relufast", "jit");
    }

    /// <summary>
    /// A hash of what decides the methods a profile names: the builds of the tool, the library and the runtime, and the
    /// runtime's code generation settings from the environment (<see cref="CodeGenerationSettings"/>).
    /// </summary>
    private static string BuildKey()
    {
        string identity = string.Join('|', typeof(JitProfile).Assembly.ManifestModule.ModuleVersionId,
            typeof(ReluFast.Learning.ReluLearner).Assembly.ManifestModule.ModuleVersionId, Environment.Version, CodeGenerationSettings());
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
    }

    /// <summary>
    /// The runtime settings in the environment that change which methods are compiled or how (tiering, ReadyToRun, the JIT's
    /// own switches, the instruction sets and vector width): a run under others records methods a default run never calls
    /// (tiered compilation's tier-0 methods doubled the background JIT of the next default run), so it keeps its own profile.
    /// </summary>
    internal static string CodeGenerationSettings()
    {
        string[] settings = ["TieredCompilation", "TC_", "TieredPGO", "ReadyToRun", "Jit", "Enable", "PreferredVectorBitWidth", "OSR_"];
        var found = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            string name = (string)entry.Key;
            foreach (string prefix in (string[])["DOTNET_", "COMPlus_"])
            {
                if (!name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
                string setting = name[prefix.Length..];
                if (settings.Any(s => setting.StartsWith(s, StringComparison.OrdinalIgnoreCase)))
                    found.Add($"{name}={entry.Value}");
            }
        }
        found.Sort(StringComparer.Ordinal);
        return string.Join(';', found);
    }
}
