using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Safehold.Web.Data;

/// <summary>Lets <c>dotnet ef migrations add ... --context SqliteSafeholdDb</c> build the model without starting the host.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteSafeholdDb>
{
    public SqliteSafeholdDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteSafeholdDb>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>Lets <c>dotnet ef migrations add ... --context PostgresSafeholdDb</c> build the model without a server.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresSafeholdDb>
{
    public PostgresSafeholdDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresSafeholdDb>().UseNpgsql("Host=localhost;Database=safehold_design").Options);
}
