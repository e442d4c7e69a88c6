namespace PgOptimizer.Samples.Api;

/// <summary>A pitch page.</summary>
public sealed record PitchDetail(long Id, string Title, string Body, string Status, long ViewCount, long LikeCount, string Author);

/// <summary>A pitch in a feed.</summary>
public sealed record FeedItem(long Id, int UserId, string Title, string? Category, DateTime PublishedAt);

/// <summary>A comment under a pitch.</summary>
public sealed record Comment(long Id, int UserId, string Body, DateTime CreatedAt);

/// <summary>The body of a title change.</summary>
public sealed record TitleChange(string Title);
