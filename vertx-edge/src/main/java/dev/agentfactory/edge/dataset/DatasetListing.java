package dev.agentfactory.edge.dataset;

import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.version.DatasetCatalog;
import dev.agentfactory.connectors.dataset.version.DatasetException;
import dev.agentfactory.connectors.dataset.version.DatasetSummary;
import dev.agentfactory.connectors.dataset.version.DatasetVersion;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.api.PageRequest;
import dev.agentfactory.edge.auth.Auth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read side of {@link DatasetsHandler}: the datasets with what is committed and the cut running
 * now, a dataset's versions a page at a time, and one version's manifest.
 */
final class DatasetListing {

  // The handler's logger: operators filter dataset messages by it.
  private static final Logger LOG = LoggerFactory.getLogger(DatasetsHandler.class);

  private final DatasetCatalog catalog;
  private final DatasetWork work;
  private final DatasetCuts cuts;

  /** The unreadable files, as {@code <dataset>/<path>}, the log already warned of. */
  private final Set<String> warnedUnreadable = ConcurrentHashMap.newKeySet();

  DatasetListing(DatasetCatalog catalog, DatasetWork work, DatasetCuts cuts) {
    this.catalog = catalog;
    this.work = work;
    this.cuts = cuts;
  }

  /**
   * Every dataset on disk plus every dataset kind the pipeline writes (with zero files until its
   * first rows are committed), each with its kind and the progress of a cut running now.
   */
  void list(RoutingContext ctx) {
    work.admin(
        ctx,
        catalog::list,
        summaries -> {
          Map<String, DatasetSummary> byName = new TreeMap<>();
          for (DatasetKind kind : DatasetKind.values()) {
            byName.put(kind.datasetName(), new DatasetSummary(kind.datasetName(), 0, 0, 0));
          }
          summaries.forEach(d -> byName.put(d.name(), d));
          warnUnreadableOnce(summaries);
          JsonArray array = new JsonArray();
          byName
              .values()
              .forEach(
                  d ->
                      array.add(
                          new JsonObject()
                              .put("name", d.name())
                              .put(
                                  "kind",
                                  DatasetKind.byDatasetName(d.name())
                                      .map(DatasetKind::datasetName)
                                      .orElse(null))
                              .put("committed_files", d.committedFiles())
                              .put("total_rows", d.totalRows())
                              .put("latest_version", d.latestVersion())
                              .put("unreadable_files", unreadableJson(d))
                              .put("cut_in_progress", cuts.progressJson(d.name()))));
          DatasetWork.json(ctx, 200, new JsonObject().put("datasets", array).encode());
        });
  }

  private static JsonArray unreadableJson(DatasetSummary d) {
    JsonArray files = new JsonArray();
    d.unreadableFiles()
        .forEach(f -> files.add(new JsonObject().put("path", f.path()).put("reason", f.reason())));
    return files;
  }

  /**
   * Warns of each unreadable file when a listing first finds it, not at every listing: an operator
   * must move it away, and a listing polled every few seconds would bury the log. A file that is
   * fixed and breaks again is warned of again.
   */
  private void warnUnreadableOnce(List<DatasetSummary> summaries) {
    Set<String> now = new HashSet<>();
    for (DatasetSummary d : summaries) {
      for (DatasetSummary.UnreadableFile f : d.unreadableFiles()) {
        String file = d.name() + "/" + f.path();
        now.add(file);
        if (warnedUnreadable.add(file)) {
          LOG.warn(
              "dataset file {} is unreadable; it is listed in unreadable_files and a cut of"
                  + " dataset '{}' fails until it is moved away: {}",
              file,
              d.name(),
              f.reason());
        }
      }
    }
    warnedUnreadable.retainAll(now);
  }

  /**
   * A page of the dataset's versions, oldest first ({@link PageRequest}: {@code limit}, {@code
   * cursor}), reading only the manifests the page needs. A manifest that cannot be read (corrupt,
   * or of a newer format a node sharing the directory wrote) does not fail the listing: the page
   * names it in {@code unreadable_versions} and lists the others, as the dataset listing does with
   * unreadable files.
   */
  void versions(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    Auth.requireAdmin(
        ctx,
        () -> {
          PageRequest page =
              PageRequest.parse(
                  ctx, "versions/" + name, after -> DatasetWork.versionNumber(after).isPresent());
          if (page == null) {
            return;
          }
          int after = page.after().map(Integer::parseInt).orElse(0);
          work.blocking(
              ctx,
              work.beforeFirstFile(
                  name, () -> versionPage(name, after, page.limit()), () -> VersionPage.NONE),
              (VersionPage found) -> {
                JsonObject answer =
                    page.answer(
                        found.versions(),
                        "versions",
                        v -> Integer.toString(v.version()),
                        v -> new JsonObject(DatasetWork.manifest(v)));
                JsonArray unreadable = new JsonArray();
                found
                    .unreadable()
                    .forEach(
                        (version, reason) ->
                            unreadable.add(
                                new JsonObject().put("version", version).put("reason", reason)));
                DatasetWork.json(ctx, 200, answer.put("unreadable_versions", unreadable).encode());
              });
        });
  }

  /**
   * Up to {@code limit + 1} readable versions after {@code after} (one more than the page tells
   * whether another follows), and the unreadable ones the page covers, by number.
   */
  private record VersionPage(List<DatasetVersion> versions, Map<Integer, String> unreadable) {
    static final VersionPage NONE = new VersionPage(List.of(), Map.of());
  }

  private VersionPage versionPage(String name, int after, int limit) {
    List<DatasetVersion> found = new ArrayList<>();
    Map<Integer, String> unreadable = new TreeMap<>();
    Map<Integer, String> pastThePage = new TreeMap<>();
    for (int n : catalog.versionNumbers(name)) {
      if (n <= after) {
        continue;
      }
      if (found.size() > limit) {
        break;
      }
      try {
        catalog.version(name, n).ifPresent(found::add);
      } catch (DatasetException e) {
        if (e.code() != DatasetException.Code.IO_ERROR) {
          throw e;
        }
        // after the page's last version: the next page covers it, unless there is none
        (found.size() < limit ? unreadable : pastThePage).put(n, e.getMessage());
      }
    }
    if (found.size() <= limit) {
      unreadable.putAll(pastThePage);
    }
    return new VersionPage(found, unreadable);
  }

  void version(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    DatasetWork.adminWithVersion(
        ctx,
        n ->
            work.blocking(
                ctx,
                work.beforeFirstFile(
                    name, () -> catalog.version(name, n), Optional::<DatasetVersion>empty),
                version -> {
                  if (version.isPresent()) {
                    DatasetWork.json(ctx, 200, DatasetWork.manifest(version.get()));
                  } else {
                    ApiErrors.send(
                        ctx,
                        404,
                        "not_found",
                        "dataset '" + name + "' has no version " + n,
                        "version");
                  }
                }));
  }
}
