"""What the places layer stores: areas, how they nest, and indicators per area and period.

Rows are written only by ``services.load.load_places`` inside one transaction, so a failed
load leaves the previous data exactly as it was.
"""

import io
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    import numpy as np


class DataSource(models.Model):
    """One file of the city's data folder, with its provenance and licence."""

    name = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    role = models.CharField(max_length=50)
    geography = models.CharField(max_length=50, blank=True)
    path = models.CharField(max_length=300)
    vintage = models.CharField(max_length=300, blank=True)
    publisher = models.TextField(blank=True)
    description = models.TextField(blank=True)
    licence_name = models.CharField(max_length=50, blank=True)
    licence_title = models.CharField(max_length=200, blank=True)
    licence_url = models.URLField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.title


class Area(models.Model):
    """A boundary of one geography. Codes repeat across vintages (LSOA 2011 and 2021)."""

    geography = models.CharField(max_length=20)
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    friendly_name = models.CharField(max_length=200, blank=True)
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="areas")
    geometry_wkb = models.BinaryField(help_text="Boundary, British National Grid (EPSG:27700), WKB")
    easting = models.FloatField(help_text="Point on surface, metres (EPSG:27700)")
    northing = models.FloatField(help_text="Point on surface, metres (EPSG:27700)")
    area_m2 = models.FloatField()
    # the boundary's bounding box, metres (EPSG:27700): a command finds the areas that may hold
    # a point with one indexed query, without reading every boundary
    min_easting = models.FloatField(default=0)
    min_northing = models.FloatField(default=0)
    max_easting = models.FloatField(default=0)
    max_northing = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["geography", "code"], name="area_code_per_geography")]
        indexes = [models.Index(fields=["code"]), models.Index(fields=["name"]),
                   models.Index(fields=["geography", "min_easting"], name="area_box")]
        ordering = ["geography", "code"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.code})"

    @property
    def display_name(self) -> str:
        return f"{self.friendly_name} — {self.name}" if self.friendly_name and self.friendly_name != self.name else self.name


class AreaMembership(models.Model):
    """Base area ``child`` (e.g. an LSOA 2021) counts towards ``parent`` with a ``weight``."""

    parent = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="member_links")
    child = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="parent_links")
    weight = models.FloatField(default=1.0, help_text="Share of the child counted in the parent (0–1)")
    method = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["parent", "child"], name="one_link_per_pair")]

    def __str__(self) -> str:
        return f"{self.child} in {self.parent} ({self.weight:g})"


class Indicator(models.Model):
    class Kind(models.TextChoices):
        TOTAL = "total"
        COUNT = "count"
        SCORE = "score"
        RANK = "rank"
        DECILE = "decile"
        VALUE = "value"
        CATEGORY = "category"

    class Polarity(models.TextChoices):
        HIGHER_WORSE = "higher_worse", "Higher is worse"
        HIGHER_BETTER = "higher_better", "Higher is better"
        NEUTRAL = "neutral", "Neither"

    key = models.CharField(max_length=200, unique=True)
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="indicators")
    column = models.CharField(max_length=200)
    label = models.CharField(max_length=300)
    topic = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    unit = models.CharField(max_length=200)
    polarity = models.CharField(max_length=20, choices=Polarity.choices)
    definition = models.TextField()
    denominator = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    order = models.IntegerField(default=0)
    period = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["source", "order"]

    def __str__(self) -> str:
        return self.key


class IndicatorTable(models.Model):
    """Every indicator value published on one geography, stored whole: one row per
    geography, not one per area and indicator (England's 33,755 LSOAs carry millions of
    values). ``matrix`` is float64 in NumPy's ``.npy`` form, areas in ``codes`` order ×
    indicators in ``keys`` order, NaN where the file gives no value; category columns are
    in ``text`` (indicator key → {area code: text})."""

    geography = models.CharField(max_length=50, unique=True)
    codes = models.JSONField(default=list)
    keys = models.JSONField(default=list)
    matrix_npy = models.BinaryField()
    text = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{len(self.keys)} indicators on {len(self.codes)} {self.geography} areas"

    @staticmethod
    def to_npy(matrix: "np.ndarray") -> bytes:
        import numpy as np  # here, not at app loading: every command would pay 0.1 s for it

        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(matrix, dtype=np.float64), allow_pickle=False)
        return buffer.getvalue()

    def matrix(self) -> "np.ndarray":
        """The stored matrix, read-only: a view of the stored bytes, not a copy (England's
        LSOA table is 35 MB)."""
        import numpy as np

        data = self.matrix_npy if isinstance(self.matrix_npy, bytes) else bytes(self.matrix_npy)
        header = io.BytesIO(data)
        version = np.lib.format.read_magic(header)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
            else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(header)
        if dtype.hasobject:
            raise ValueError("an indicator table holds numbers only")
        count = int(np.prod(shape, dtype=np.int64))
        return np.frombuffer(data, dtype=dtype, count=count, offset=header.tell()) \
            .reshape(shape, order="F" if fortran_order else "C")

    def values_of(self, key: str) -> dict[str, float | str]:
        """One indicator's values by area code (text for a category), missing ones left out."""
        if key in self.text:
            return dict(self.text[key])
        import numpy as np

        column = self.matrix()[:, self.keys.index(key)]
        return {self.codes[i]: float(column[i]) for i in np.flatnonzero(~np.isnan(column))}


class Postcode(models.Model):
    postcode = models.CharField(max_length=10, unique=True, help_text="As published, e.g. 'MK2 2HB'")
    compact = models.CharField(max_length=10, unique=True, help_text="Upper case, no spaces")
    longitude = models.FloatField(null=True)
    latitude = models.FloatField(null=True)
    area = models.ForeignKey(Area, null=True, on_delete=models.SET_NULL, related_name="postcodes")
    terminated = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.postcode


class PlaceName(models.Model):
    """A name people use for a place (an estate, suburb, village or hamlet) from the package's
    gazetteer (role ``place-names``), or named in its addresses (``geography.localities``:
    ``source`` "addresses: named in …", a row per base area holding its points, most first),
    placed in the base area holding its point."""

    name = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(max_length=100, blank=True, help_text="As the gazetteer gives it: "
                            "suburb, village, estate, hamlet …")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="place_names",
                             help_text="The base area holding the point")
    easting = models.FloatField(help_text="Metres (EPSG:27700)")
    northing = models.FloatField(help_text="Metres (EPSG:27700)")
    source = models.CharField(max_length=300, blank=True, help_text="Empty for the gazetteer's; "
                              "\"addresses: named in N addresses in <files>\" for a locality the "
                              "package's addresses name")

    def __str__(self) -> str:
        return self.name


class LoadRun(models.Model):
    """One load of the city's data folder: what was read and every mismatch found."""

    started = models.DateTimeField(auto_now_add=True)
    data_dir = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    city_name = models.CharField(max_length=200)
    lad_code = models.CharField(max_length=20, help_text="The first of authority_codes")
    authority_codes = models.JSONField(default=list, help_text="The codes the package's city names: "
                                       "local authority districts, or a county, region or country")
    base_geography = models.CharField(max_length=20)
    population_indicator = models.CharField(max_length=200, blank=True)
    summary = models.JSONField(default=dict)
    mismatches = models.JSONField(default=list)

    class Meta:
        get_latest_by = "started"

    def __str__(self) -> str:
        return f"{self.city_name} loaded {self.started:%Y-%m-%d %H:%M}"
