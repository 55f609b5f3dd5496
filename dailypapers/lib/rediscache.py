"""Django's Redis cache, plus a rate limit's count in one round trip (``count_window``)."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache


class RedisCache(DjangoRedisCache):
    def count_window(self, keys, timeout):
        """Count one more in the last of ``keys`` (created for ``timeout`` s) and read the others, in
        one pipeline: Django's own calls take four round trips (get_many, add, exists, incr)."""
        names = [self.make_and_validate_key(key) for key in keys]
        pipeline = self._cache.get_client(names[-1], write=True).pipeline(transaction=False)
        pipeline.mget(names[:-1])
        pipeline.set(names[-1], 0, ex=timeout, nx=True)  # the slot's first request creates it
        pipeline.incr(names[-1])
        earlier, _, current = pipeline.execute()
        return [int(value) if value is not None else 0 for value in earlier] + [current]
