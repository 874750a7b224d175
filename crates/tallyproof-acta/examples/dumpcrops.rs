fn main() {
    let dir = std::path::Path::new("/work/shared/data/venezuela-2024-acta-images");
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().map(|x| x != "jpg").unwrap_or(true) { continue; }
        let img = image::open(&p).unwrap().to_luma8();
        let (w, h) = img.dimensions();
        let out = format!("/tmp/actaview/{}", p.file_stem().unwrap().to_string_lossy());
        if w > h {
            let c = image::imageops::crop_imm(&img, 0, 0, w / 5, h).to_image();
            image::imageops::resize(&c, c.width()/3, c.height()/3, image::imageops::FilterType::Triangle).save(format!("{out}-left.png")).unwrap();
            let c = image::imageops::crop_imm(&img, w - w / 5, 0, w / 5, h).to_image();
            image::imageops::resize(&c, c.width()/3, c.height()/3, image::imageops::FilterType::Triangle).save(format!("{out}-right.png")).unwrap();
        } else {
            let c = image::imageops::crop_imm(&img, 0, h - h / 5, w, h / 5).to_image();
            let s = if w > 700 { 3 } else { 2 };
            image::imageops::resize(&c, c.width()/s, c.height()/s, image::imageops::FilterType::Triangle).save(format!("{out}-bottom.png")).unwrap();
        }
        println!("{} {}x{}", p.display(), w, h);
    }
}
