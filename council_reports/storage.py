"""Static files as WhiteNoise serves them in production: compressed (gzip and Brotli where
available) under content-hashed names, so browsers may keep them for a year."""

from django.contrib.staticfiles.storage import HashedFilesMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # A file collectstatic has not hashed keeps its plain name rather than failing the page.
    manifest_strict = False

    def url(self, name, force=False):
        if not self.hashed_files:
            # No manifest (tests, the development server: collectstatic has not run): the
            # plain name, which the finders serve.
            return super(HashedFilesMixin, self).url(name)
        return super().url(name, force)
