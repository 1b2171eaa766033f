# hs_embed_files(TARGET NAME BASE_DIR FILES...) generates a .cpp that holds each file's bytes and
# a lookup by relative path, so the binary needs no files beside it (migrations, UI, fonts).
function(hs_embed_files target name base_dir)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${name}_embedded.cpp")
  set(script "${PROJECT_SOURCE_DIR}/cmake/embed.cmake")
  set(abs_files "")
  foreach(f ${ARGN})
    list(APPEND abs_files "${base_dir}/${f}")
  endforeach()
  string(REPLACE ";" "," files_arg "${ARGN}")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAME=${name} -DBASE=${base_dir}
            "-DFILES=${files_arg}" -P ${script}
    DEPENDS ${abs_files} ${script}
    COMMENT "Embedding ${name}"
    VERBATIM)
  target_sources(${target} PRIVATE "${out}")
endfunction()
