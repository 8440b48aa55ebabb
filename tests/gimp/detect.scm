; gimp-restore: plug-in-restore-detect cases, run inside one gimp-console
; batch by run-detect-test.sh.  Each case prints "TAP: ok NAME" or
; "TAP: not ok NAME: reason" through gimp-message; the selections are saved
; as sel-*.png for detect-images.py.  Inputs in DIR: detect-photo.png.

(define (say ok name why)
  (gimp-message (string-append "TAP: " (if ok "ok " "not ok ") name
                               (if ok "" (string-append ": " why)))))

(define (n-layers image) (car (gimp-image-get-layers image)))

(define (load-photo dir)
  (let ((f (string-append dir "/detect-photo.png")))
    (car (gimp-file-load RUN-NONINTERACTIVE f f))))

(define (detect run-mode image drawable sensitivity operation)
  (catch #f (car (plug-in-restore-detect run-mode image drawable sensitivity operation))))

; Saves the selection (a copy of it as a channel) as a gray PNG.
(define (save-selection image file)
  (let ((ch (car (gimp-selection-save image))))
    (file-png-save-defaults RUN-NONINTERACTIVE image ch file file)
    (gimp-image-remove-channel image ch)))

; The state a failed call must leave alone: layers, selection bounds, dirt.
(define (state image)
  (list (n-layers image) (gimp-selection-bounds image) (car (gimp-image-is-dirty image))))

; A bad call must fail and leave the image exactly as it was (clean).
(define (expect-error name image drawable sensitivity operation)
  (gimp-image-clean-all image)
  (let* ((before (state image))
         (r (detect RUN-NONINTERACTIVE image drawable sensitivity operation)))
    (say (and (not r) (equal? before (state image))) name
         (if r "the call succeeded" "the image changed"))))

(define (run-detect dir)
  (gimp-message-set-handler CONSOLE)

  ; Registration with the fixed signature.
  (let* ((proc "plug-in-restore-detect")
         (info (gimp-procedural-db-proc-info proc))
         (args (map (lambda (i) (gimp-procedural-db-proc-arg proc i)) '(0 1 2 3 4)))
         (ret (gimp-procedural-db-proc-val proc 0)))
    (say (and (= (list-ref info 6) 5) (= (list-ref info 7) 1)
              (equal? (map car args)
                      (list PDB-INT32 PDB-IMAGE PDB-DRAWABLE PDB-FLOAT PDB-INT32))
              (equal? (map cadr (list-tail args 3)) '("sensitivity" "operation"))
              (= (car ret) PDB-INT32))
         "registered with the fixed signature" "signature differs"))

  ; Replace: a selection made before is dropped.
  (let* ((image (load-photo dir))
         (layer (car (gimp-image-get-active-layer image))))
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 10 10 50 50)
    (let ((n (detect RUN-NONINTERACTIVE image layer 0.5 0)))
      (say n "replace returns the number of damaged regions" "the call failed")
      (when n (gimp-message (string-append "REGIONS: " (number->string n))))
      (say (= (n-layers image) 1) "detection adds no layer and leaves the layer alone"
           "the layer count changed")
      (save-selection image (string-append dir "/sel-replace.png")))
    (gimp-image-delete image))

  ; Add: the rectangle stays, the damage joins it.
  (let* ((image (load-photo dir))
         (layer (car (gimp-image-get-active-layer image))))
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 20 150 100 70)
    (say (detect RUN-NONINTERACTIVE image layer 0.5 1) "add succeeds" "the call failed")
    (save-selection image (string-append dir "/sel-add.png"))
    (gimp-image-delete image))

  ; A layer with offsets inside a larger canvas.
  (let* ((image (load-photo dir))
         (layer (car (gimp-image-get-active-layer image))))
    (gimp-image-resize image 370 270 0 0)
    (gimp-layer-set-offsets layer 25 13)
    (say (detect RUN-NONINTERACTIVE image layer 0.5 0) "layer with offsets" "the call failed")
    (save-selection image (string-append dir "/sel-offset.png"))
    (gimp-image-delete image))

  ; Last values: WITH-LAST-VALS ignores its arguments and repeats the last
  ; successful call's settings.
  (let* ((image (load-photo dir))
         (layer (car (gimp-image-get-active-layer image)))
         (first (detect RUN-NONINTERACTIVE image layer 0.3 0))
         (b1 (gimp-selection-bounds image))
         (none (gimp-selection-none image))
         (again (detect RUN-WITH-LAST-VALS image layer 0.95 1)))
    (say (and first again (= first again) (equal? b1 (gimp-selection-bounds image)))
         "run with last values repeats the last settings"
         "failed or a different result")
    (gimp-image-delete image))

  ; Settings saved by the version before the scale (blob version 1:
  ; u32 version, 4 bytes of padding, double sensitivity 0.3, int operation
  ; 0, min-size 1, max-size 48, grow 2) are still read: WITH-LAST-VALS then
  ; repeats sensitivity 0.3, not the last call's 0.7 nor 0.5.
  (let* ((image (load-photo dir))
         (layer (car (gimp-image-get-active-layer image)))
         (at-half (detect RUN-NONINTERACTIVE image layer 0.5 0))
         (want (detect RUN-NONINTERACTIVE image layer 0.3 0))
         (b1 (gimp-selection-bounds image))
         (other (detect RUN-NONINTERACTIVE image layer 0.7 0))
         (set (gimp-procedural-db-set-data
               "plug-in-restore-detect" 32
               (vector 1 0 0 0  0 0 0 0  51 51 51 51 51 51 211 63
                       0 0 0 0  1 0 0 0  48 0 0 0  2 0 0 0)))
         (none (gimp-selection-none image))
         (again (detect RUN-WITH-LAST-VALS image layer 0.95 1)))
    (say (and want again other at-half (not (= want other)) (not (= want at-half))
              (= want again) (equal? b1 (gimp-selection-bounds image)))
         "settings saved by the previous version are read"
         (string-append "regions at 0.3 / 0.5 / 0.7 / last values: "
                        (if want (number->string want) "failed") " / "
                        (if at-half (number->string at-half) "failed") " / "
                        (if other (number->string other) "failed") " / "
                        (if again (number->string again) "failed")))
    (gimp-image-delete image))

  ; Grayscale works (fed as three equal channels).
  (let* ((image (load-photo dir)))
    (gimp-image-convert-grayscale image)
    (say (detect RUN-NONINTERACTIVE image (car (gimp-image-get-active-layer image)) 0.5 0)
         "grayscale image" "the call failed")
    (gimp-image-delete image))

  ; Bad input: an error, the image unchanged.
  (let* ((image (load-photo dir))
         (layer (car (gimp-image-get-active-layer image))))
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 5 5 30 30)
    (expect-error "sensitivity 1.5 is refused" image layer 1.5 0)
    (expect-error "sensitivity -0.1 is refused" image layer -0.1 0)
    (expect-error "operation 2 is refused" image layer 0.5 2)
    (expect-error "operation -1 is refused" image layer 0.5 -1)
    (let ((channel (car (gimp-channel-new image 320 240 "channel" 50 '(0 0 0)))))
      (gimp-image-insert-channel image channel 0 0)
      (expect-error "a channel is refused" image channel 0.5 0))
    (let ((group (car (gimp-layer-group-new image))))
      (gimp-image-insert-layer image group 0 0)
      (expect-error "a layer group is refused" image group 0.5 0))
    (gimp-image-delete image))

  (let* ((image (load-photo dir)))
    (gimp-image-convert-indexed image CONVERT-DITHER-NONE CONVERT-PALETTE-GENERATE 16 FALSE FALSE "")
    (expect-error "an indexed image is refused" image
                  (car (gimp-image-get-active-layer image)) 0.5 0)
    (gimp-image-delete image))

  (gimp-message "TAP: done"))
