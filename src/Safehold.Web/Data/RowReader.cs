using System.Collections.Concurrent;
using System.Data.Common;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Safehold.Web.Data;

/// <summary>
/// Reads the rows of one entity type straight from a <see cref="DbDataReader"/>, by the model's own mapping: its table's
/// columns, each property's type mapping and value converter (so SQLite's UTC ticks and PostgreSQL's timestamps alike),
/// and the field or property EF Core itself would set. For hot reads of a whole aggregate, where EF Core's shaper for a
/// query with several collections costs more than the rows (it joins them into one product of rows, and binds delegates
/// again on every row: dotnet/efcore#35210); see <c>OrderReader</c>.
/// </summary>
/// <remarks>One reader per entity type and database provider, compiled once. Shadow properties are refused: the entity
/// itself must carry every column, so that what is read can be attached to the change tracker as it is.</remarks>
public sealed class RowReader<T> where T : class
{
    private static readonly ConcurrentDictionary<IModel, RowReader<T>> Readers = new();

    private readonly Func<DbDataReader, T> _read;

    private RowReader(IEntityType type, ISqlGenerationHelper sql)
    {
        var properties = type.GetProperties().ToList();
        if (properties.FirstOrDefault(p => p.IsShadowProperty()) is { } shadow)
            throw new InvalidOperationException($"{type.DisplayName()}.{shadow.Name} is a shadow property: a row reader sets only the entity's own members.");
        Table = sql.DelimitIdentifier(type.GetTableName()!, type.GetSchema());
        Columns = string.Join(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName())));
        ColumnOf = properties.ToDictionary(p => p.Name, p => sql.DelimitIdentifier(p.GetColumnName()));
        MappingOf = properties.ToDictionary(p => p.Name, p => p.GetRelationalTypeMapping());

        var reader = Expression.Parameter(typeof(DbDataReader), "reader");
        var entity = Expression.Variable(typeof(T), "entity");
        var ctor = typeof(T).GetConstructor(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes)
            ?? throw new InvalidOperationException($"{typeof(T).Name} has no parameterless constructor to materialise it with.");
        var body = new List<Expression> { Expression.Assign(entity, Expression.New(ctor)) };
        for (var i = 0; i < properties.Count; i++)
        {
            var property = properties[i];
            var member = property.GetMemberInfo(forMaterialization: true, forSet: true);
            var target = Expression.MakeMemberAccess(entity, member);
            var value = ValueAt(reader, i, property);
            var assign = Expression.Assign(target, Convert(value, target.Type));
            body.Add(property.IsNullable
                ? Expression.IfThen(Expression.Not(Expression.Call(reader, IsDbNull, Expression.Constant(i))), assign)
                : assign);
        }
        body.Add(entity);
        _read = Expression.Lambda<Func<DbDataReader, T>>(Expression.Block([entity], body), reader).Compile();
    }

    /// <summary>The table, quoted for the provider.</summary>
    public string Table { get; }

    /// <summary>Every column, quoted and in the order <see cref="Read"/> expects them.</summary>
    public string Columns { get; }

    /// <summary>A property's column, quoted.</summary>
    public IReadOnlyDictionary<string, string> ColumnOf { get; }

    /// <summary>A property's type mapping, by which its value is bound as a parameter as EF Core binds it.</summary>
    public IReadOnlyDictionary<string, RelationalTypeMapping> MappingOf { get; }

    /// <summary>The reader of <typeparamref name="T"/> for the context's model, built the first time it is asked for.</summary>
    public static RowReader<T> For(DbContext db) =>
        Readers.GetOrAdd(db.Model, static (model, db) => new RowReader<T>(
            model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model."),
            db.GetService<ISqlGenerationHelper>()), db);

    /// <summary>The entity of the reader's current row, read from columns 0 on in the order of <see cref="Columns"/>.</summary>
    public T Read(DbDataReader reader) => _read(reader);

    private static readonly MethodInfo IsDbNull = typeof(DbDataReader).GetMethod(nameof(DbDataReader.IsDBNull), [typeof(int)])!;

    /// <summary>The column's value as the property's type: the provider's reader method, then its value converter.</summary>
    private static Expression ValueAt(ParameterExpression reader, int ordinal, IProperty property)
    {
        var mapping = property.GetRelationalTypeMapping();
        var method = mapping.GetDataReaderMethod();
        Expression value = Expression.Call(method.IsStatic ? null : Expression.Convert(reader, method.DeclaringType!), method, Expression.Constant(ordinal));
        value = mapping.CustomizeDataReaderExpression(value);
        if (mapping.Converter is { } converter)
        {
            var from = converter.ConvertFromProviderExpression;
            value = new Replace(from.Parameters[0], Convert(value, from.Parameters[0].Type)).Visit(from.Body);
        }
        return value;
    }

    private static Expression Convert(Expression value, Type type) => value.Type == type ? value : Expression.Convert(value, type);

    private sealed class Replace(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
